import type { RepoRef } from '@dingo/hub-protocol';

/** Adds headers to resolve answers (the Xet mirror's `X-Xet-*` in serve mode); optional. */
export const RESOLVE_HEADERS = Symbol('RESOLVE_HEADERS');

export interface ResolveHeaders {
  headersFor(
    file: { repo: RepoRef; commit: string; path: string; lfs: boolean; sha256: string | null },
    upstreamAuthorization: string | undefined,
    publicBase: string,
  ): Promise<Record<string, string>>;
}

/** Rewrites tree / paths-info listings before they are sent (the Xet mirror keeps or strips `xetHash`); optional. */
export const LISTING_REWRITE = Symbol('LISTING_REWRITE');

export interface ListingRewrite {
  rewriteListing(repo: RepoRef, body: Buffer): Promise<Buffer>;
}
