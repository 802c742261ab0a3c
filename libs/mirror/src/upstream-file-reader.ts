import { Readable } from 'node:stream';
import { encodeFilePath, encodeRevision, repoUrlPrefix } from '@dingo/hub-protocol';
import { drain, UpstreamResponse, UpstreamRouter } from '@dingo/upstream';
import { FileSource } from './located-file';

export class UpstreamFileError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'UpstreamFileError';
  }
}

interface CdnLocation {
  url: string;
  expiresAt: number;
}

/**
 * Opens byte ranges of a file on upstream: asks the hub's resolve URL at the file's commit and
 * follows its redirect to the CDN, remembering the signed CDN URL (until it expires or is
 * refused) so later chunks go straight to the CDN. Credentials go to the hub only, never to the
 * CDN origin (a presigned S3 URL rejects a second auth mechanism).
 */
export class UpstreamFileReader {
  private readonly cdn = new Map<string, CdnLocation>();

  constructor(
    private readonly router: UpstreamRouter,
    private readonly cdnUrlTtlMs = 10 * 60_000,
  ) {}

  async open(source: FileSource, start: number, end: number, signal?: AbortSignal): Promise<Readable> {
    const { file } = source;
    const range = `bytes=${start}-${end}`;
    const cached = this.cdn.get(file.blobKey);
    if (cached && cached.expiresAt > Date.now()) {
      const res = await this.router.send({
        url: cached.url,
        headers: { range, 'accept-encoding': 'identity' },
        signal,
      });
      if (res.status === 206 || (res.status === 200 && start === 0 && end === file.size - 1)) return res.body;
      drain(res.body);
      this.cdn.delete(file.blobKey); // expired or refused: ask the hub again
    }
    const path = `/${repoUrlPrefix(file.repo.type)}${file.repo.id}/resolve/${encodeRevision(file.commit)}/${encodeFilePath(file.path)}`;
    let res: UpstreamResponse = await this.router.send({
      url: path,
      headers: { range, authorization: source.authorization, 'accept-encoding': 'identity' },
      signal,
    });
    for (let hops = 0; res.status >= 300 && res.status < 400 && res.headers.location && hops < 5; hops++) {
      drain(res.body);
      const target = new URL(res.headers.location, res.url);
      const sameOrigin = target.origin === res.origin;
      if (!sameOrigin)
        this.cdn.set(file.blobKey, { url: target.toString(), expiresAt: Date.now() + this.cdnUrlTtlMs });
      res = await this.router.send({
        url: target.toString(),
        headers: {
          range,
          'accept-encoding': 'identity',
          authorization: sameOrigin ? source.authorization : undefined,
        },
        signal,
      });
    }
    if (res.status === 206 || (res.status === 200 && start === 0 && end === file.size - 1)) return res.body;
    drain(res.body);
    if (res.status === 200) throw new UpstreamFileError(`Upstream ignored Range ${range} for ${path}`, false);
    throw new UpstreamFileError(
      `Upstream answered ${res.status} for ${range} of ${path}`,
      res.status >= 500 || res.status === 403 || res.status === 429,
    );
  }
}
