import { isXetHashHex } from '@dingo/xet';
import { drain, UpstreamUnreachableError } from '@dingo/upstream';
import type { RepoRef } from '@dingo/hub-protocol';
import { resolveUrl, type UpstreamSender } from './upstream-cas';
import type { XetIndex } from './xet-index';

/** A file as the resolve route answers it (what the advisor needs of it). */
export interface ResolvedFile {
  repo: RepoRef;
  commit: string;
  path: string;
  lfs: boolean;
  sha256: string | null;
}

/** "Not Xet-backed" is re-asked after this long (upstream migrates LFS files to Xet). */
const NEGATIVE_TTL_MS = 10 * 60_000;

/**
 * What the resolve answers (HEAD/GET) and the tree listings must say about Xet, per deployment:
 * in `serve` mode the Xet headers of a Xet-backed file point at the MIRROR (its token route and
 * CAS); in `http` mode nothing is added and `xetHash` is removed from listings, so clients stay
 * on HTTP. The Xet hash of a content is learned from upstream (the HEAD the core already makes,
 * via `learn`, or one HEAD of our own) and remembered by sha256.
 */
export class XetResolveAdvisor {
  constructor(
    private readonly mode: 'http' | 'serve',
    private readonly index: XetIndex,
    private readonly upstream: UpstreamSender,
    private readonly casPrefix: string,
  ) {}

  get serving(): boolean {
    return this.mode === 'serve';
  }

  /** Records what an upstream resolve HEAD said (call it with upstream's headers where the core makes that HEAD). */
  async learn(file: ResolvedFile, upstreamXetHash: string | undefined): Promise<void> {
    if (!file.sha256) return;
    const hash =
      upstreamXetHash && isXetHashHex(upstreamXetHash.toLowerCase()) ? upstreamXetHash.toLowerCase() : null;
    await this.index.putContentXetHash(file.sha256, hash);
    if (hash) await this.index.addFileRepo(hash, file.repo.type, file.repo.id);
  }

  /** Headers to add to a resolve answer for this file (empty in http mode and for non-Xet files). */
  async headersFor(
    file: ResolvedFile,
    authorization: string | undefined,
    publicBase: string,
  ): Promise<Record<string, string>> {
    if (!this.serving || !file.lfs || !file.sha256) return {};
    const hash = await this.xetHashOf(file, authorization);
    if (!hash) return {};
    const base = publicBase.replace(/\/+$/, '');
    const refresh = `${base}/api/${file.repo.type}s/${file.repo.id}/xet-read-token/${file.commit}`;
    return {
      'X-Xet-Hash': hash,
      'X-Xet-Refresh-Route': refresh,
      Link: `<${refresh}>; rel="xet-auth", <${base}${this.casPrefix}/v1/reconstructions/${hash}>; rel="xet-reconstruction-info"`,
    };
  }

  private async xetHashOf(
    file: ResolvedFile,
    authorization: string | undefined,
  ): Promise<string | undefined> {
    const known = await this.index.getContentXetHash(file.sha256!);
    if (known?.xetHash) {
      await this.index.addFileRepo(known.xetHash, file.repo.type, file.repo.id);
      return known.xetHash;
    }
    if (known && Date.now() - known.checkedAt < NEGATIVE_TTL_MS) return undefined;
    try {
      const res = await this.upstream.send({
        method: 'HEAD',
        url: resolveUrl(file.repo, file.commit, file.path),
        headers: { authorization, 'accept-encoding': 'identity' },
      });
      drain(res.body);
      if (res.status >= 400) return undefined;
      await this.learn(file, res.headers['x-xet-hash']);
      return (await this.index.getContentXetHash(file.sha256!))?.xetHash ?? undefined;
    } catch (err) {
      // Offline and never learned: the client falls back to HTTP, which the mirror serves.
      if (err instanceof UpstreamUnreachableError) return undefined;
      throw err;
    }
  }
}
