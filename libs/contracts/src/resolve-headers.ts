import type { RepoRef } from '@dingo/hub-protocol';

/**
 * Adds headers to resolve answers (HEAD/GET of a file): the Xet-serving mirror's `X-Xet-*` and
 * `Link` pointing at itself. Optional: without a provider, resolve answers carry the Hub headers only.
 */
export const RESOLVE_HEADERS = Symbol('RESOLVE_HEADERS');

export interface ResolveHeaders {
  headersFor(
    file: { repo: RepoRef; commit: string; path: string; lfs: boolean; sha256: string | null },
    upstreamAuthorization: string | undefined,
    publicBase: string,
  ): Promise<Record<string, string>>;
}
