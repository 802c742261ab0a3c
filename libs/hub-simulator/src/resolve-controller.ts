import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { gzipSync } from 'node:zlib';
import { contentDisposition, contentTypeFor, isCompressibleType, rangedBody } from './byte-range';
import type { Caller } from './access-policy';
import { lfsPointerText, gitBlobSha1 } from './git-objects';
import { HubError } from './hub-error';
import type { HubRoute } from './hub-routes';
import { type SimContext } from './sim-context';
import { hubHeaders, type SimResponse } from './sim-response';
import type { SimRepoState } from './sim-repo';
import type { SimFileInfo } from './types';

type ResolveRoute = Extract<HubRoute, { kind: 'resolve' }>;

const XET_FILEINFO_TYPE = 'application/vnd.xet-fileinfo+json';
/** Text files above this are sent uncompressed even with gzipTextFiles (we gzip in memory). */
const GZIP_MAX_SIZE = 10 * 1024 * 1024;

/** `/{id}/resolve/{rev}/{path}` (and `/raw/`): git files from the hub, LFS files via a signed CDN redirect. */
export class ResolveController {
  constructor(private readonly ctx: SimContext) {}

  async handle(route: ResolveRoute, req: IncomingMessage, caller: Caller): Promise<SimResponse> {
    const repo = this.ctx.policy.readable(this.ctx.registry.get(route.type, route.id), caller);
    const commit = repo.resolve(route.rev);
    if (!commit) throw HubError.revisionNotFound(route.rev);
    const file = commit.files.get(route.path);
    if (!file) throw HubError.entryNotFound(commit.sha);
    const base = { 'X-Repo-Commit': commit.sha, 'Accept-Ranges': 'bytes' };

    if (file.lfs && route.raw) return this.pointer(file, base);
    if (!file.lfs) return this.gitFile(file, req, base);
    if (file.xet && (req.headers.accept ?? '').includes(XET_FILEINFO_TYPE)) {
      return this.xetFileInfo(repo, commit.sha, file, base);
    }
    return this.redirectToCdn(repo, commit.sha, file, base);
  }

  private async gitFile(
    file: SimFileInfo,
    req: IncomingMessage,
    base: Record<string, string>,
  ): Promise<SimResponse> {
    const contentType = contentTypeFor(file.path);
    const headers = hubHeaders({
      ...base,
      'Content-Type': contentType,
      'Content-Disposition': contentDisposition(file.path),
      ETag: `"${file.blobId}"`,
    });
    const content = { sha256: file.sha256, path: file.path };
    if (this.wantsGzip(req, file, contentType)) {
      const body = gzipSync(await readFile(file.diskPath));
      return { status: 200, headers: { ...headers, 'Content-Encoding': 'gzip' }, body, content };
    }
    const ranged = rangedBody(req.headers.range, file.diskPath, file.size);
    return { status: ranged.status, headers: { ...headers, ...ranged.headers }, body: ranged.body, content };
  }

  private wantsGzip(req: IncomingMessage, file: SimFileInfo, contentType: string): boolean {
    return (
      this.ctx.gzipTextFiles &&
      req.method === 'GET' &&
      !req.headers.range &&
      file.size <= GZIP_MAX_SIZE &&
      isCompressibleType(contentType) &&
      /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')
    );
  }

  private pointer(file: SimFileInfo, base: Record<string, string>): SimResponse {
    const text = lfsPointerText(file.sha256, file.size);
    return {
      status: 200,
      headers: hubHeaders({
        ...base,
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': contentDisposition(file.path),
        ETag: `"${gitBlobSha1(text)}"`,
      }),
      body: Buffer.from(text),
    };
  }

  private redirectToCdn(
    repo: SimRepoState,
    commit: string,
    file: SimFileInfo,
    base: Record<string, string>,
  ): SimResponse {
    const location = this.ctx.signer.sign(this.ctx.cdnUrl, file.sha256, contentDisposition(file.path));
    return {
      status: 302,
      headers: hubHeaders({
        ...base,
        ...this.linkedHeaders(repo, commit, file),
        'Content-Type': 'text/plain; charset=utf-8',
        Location: location,
      }),
      body: Buffer.from(`Found. Redirecting to ${location}`),
    };
  }

  /** What the Hub answers a client that announces it speaks Xet (`Accept: application/vnd.xet-fileinfo+json`). */
  private xetFileInfo(
    repo: SimRepoState,
    commit: string,
    file: SimFileInfo,
    base: Record<string, string>,
  ): SimResponse {
    const linked = this.linkedHeaders(repo, commit, file);
    const body = {
      hash: file.xetHash,
      refreshUrl: this.xetRefreshUrl(repo, commit),
      reconstructionUrl: this.xetReconstructionUrl(file),
      etag: file.sha256,
      size: file.size,
    };
    return {
      status: 200,
      headers: hubHeaders({ ...base, ...linked, 'Content-Type': XET_FILEINFO_TYPE }),
      body: Buffer.from(JSON.stringify(body)),
    };
  }

  private linkedHeaders(repo: SimRepoState, commit: string, file: SimFileInfo): Record<string, string> {
    const headers: Record<string, string> = {
      ETag: `"${file.sha256}"`,
      'X-Linked-Etag': `"${file.sha256}"`,
      'X-Linked-Size': String(file.size),
    };
    if (file.xet && file.xetHash) {
      headers['X-Xet-Hash'] = file.xetHash;
      headers['X-Xet-Refresh-Route'] = `/api/${repo.type}s/${repo.id}/xet-read-token/${commit}`;
      headers['Link'] =
        `<${this.xetRefreshUrl(repo, commit)}>; rel="xet-auth", ` +
        `<${this.xetReconstructionUrl(file)}>; rel="xet-reconstruction-info"`;
    }
    return headers;
  }

  private xetRefreshUrl(repo: SimRepoState, commit: string): string {
    return `${this.ctx.hubUrl}/api/${repo.type}s/${repo.id}/xet-read-token/${commit}`;
  }

  private xetReconstructionUrl(file: SimFileInfo): string {
    return `${this.ctx.casUrl}/v1/reconstructions/${file.xetHash}`;
  }
}
