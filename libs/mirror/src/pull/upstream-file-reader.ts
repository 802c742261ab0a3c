import { Readable } from 'node:stream';
import { encodeFilePath, encodeRevision, repoUrlPrefix } from '@dingo/hub-protocol';
import { Logger } from '@nestjs/common';
import {
  ChunkSource,
  drain,
  isRedirect,
  redirectTarget,
  UpstreamResponse,
  UpstreamRouter,
  UpstreamUnreachableError,
} from '@dingo/upstream';
import { FileSource } from '../files/located-file';

export class UpstreamFileError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The status upstream answered, when it answered. */
    readonly status?: number,
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
 * follows its redirect to the CDN (checked: http(s), no loops, a bounded number of hops, and a
 * public address unless the origin is trusted), remembering the signed CDN URL (until it expires
 * or is refused) so later chunks go straight to the CDN. Credentials go to the hub only, never to
 * the CDN origin (a presigned S3 URL rejects a second auth mechanism). `origin` pins the hub
 * request to one upstream origin (a source of a multi-source pull); its CDN URLs are kept apart.
 */
export class UpstreamFileReader {
  private readonly log = new Logger(UpstreamFileReader.name);
  private readonly cdn = new Map<string, CdnLocation>();

  constructor(
    private readonly router: UpstreamRouter,
    private readonly cdnUrlTtlMs = 10 * 60_000,
    /** Asked, in order, when the hub cannot deliver (unreachable, 5xx, 429): e.g. ModelScope. */
    private readonly fallbacks: ChunkSource[] = [],
  ) {}

  /**
   * Bytes [start, end] of the file from the hub, or, when every hub origin is unreachable or
   * failing, from the first fallback source that holds the same content. Either way the chunks
   * land in the same verifier, which purges a blob that does not hash to the Hub's name. A pinned
   * `origin` (a piece of a multi-source pull) never falls back: its puller moves the piece.
   */
  async open(
    source: FileSource,
    start: number,
    end: number,
    signal?: AbortSignal,
    origin?: string,
  ): Promise<Readable> {
    const { file } = source;
    if (file.hosted)
      throw new UpstreamFileError(
        `${file.repo.id}/${file.path} is hosted on this mirror: its lost chunks cannot come from upstream`,
        false,
      );
    try {
      return await this.openFromHub(source, start, end, signal, origin);
    } catch (err) {
      if (origin || !this.fallbacks.length || signal?.aborted || !hubFailed(err)) throw err;
      for (const fallback of this.fallbacks) {
        try {
          if (!(await fallback.covers(file, signal))) continue;
          const body = await fallback.openRange(file, start, end + 1, signal);
          this.log.warn(
            `${file.repo.id}/${file.path} bytes ${start}-${end} from ${fallback.id}: ${(err as Error).message}`,
          );
          return body;
        } catch (fallbackErr) {
          if (signal?.aborted) throw fallbackErr;
          this.log.warn(
            `fallback ${fallback.id} for ${file.repo.id}/${file.path}: ${(fallbackErr as Error).message}`,
          );
        }
      }
      throw err;
    }
  }

  private async openFromHub(
    source: FileSource,
    start: number,
    end: number,
    signal?: AbortSignal,
    origin?: string,
  ): Promise<Readable> {
    const { file } = source;
    const range = `bytes=${start}-${end}`;
    const cdnKey = origin ? `${origin} ${file.blobKey}` : file.blobKey;
    const cached = this.cdn.get(cdnKey);
    if (cached && cached.expiresAt > Date.now()) {
      try {
        const res = await this.router.send({ url: cached.url, headers: fileHeaders(range), signal });
        const body = this.bodyOf(res, start, end, file.size);
        if (body) return body;
      } catch (err) {
        if (signal?.aborted) throw err;
      }
      this.cdn.delete(cdnKey); // expired, refused or failing: ask the hub again
    }
    const path = `/${repoUrlPrefix(file.repo.type)}${file.repo.id}/resolve/${encodeRevision(file.commit)}/${encodeFilePath(file.path)}`;
    let res: UpstreamResponse = await this.router.send({
      url: path,
      headers: { ...fileHeaders(range), authorization: source.authorization },
      signal,
      origin,
    });
    const visited = new Set<string>();
    let cdnUrl: string | undefined;
    while (isRedirect(res)) {
      drain(res.body);
      const target = redirectTarget(res, visited);
      const sameOrigin = target.origin === res.origin;
      if (!sameOrigin) cdnUrl = target.toString();
      res = await this.router.send({
        url: target.toString(),
        headers: { ...fileHeaders(range), authorization: sameOrigin ? source.authorization : undefined },
        signal,
      });
    }
    const body = this.bodyOf(res, start, end, file.size);
    if (body) {
      // Only a URL that delivered the bytes is worth going back to.
      if (cdnUrl) this.cdn.set(cdnKey, { url: cdnUrl, expiresAt: Date.now() + this.cdnUrlTtlMs });
      return body;
    }
    if (res.status === 200) throw new UpstreamFileError(`Upstream ignored Range ${range} for ${path}`, false);
    throw new UpstreamFileError(
      `Upstream answered ${res.status} for ${range} of ${path}`,
      res.status >= 500 || res.status === 403 || res.status === 429,
      res.status,
    );
  }

  /** The body when the answer carries exactly the requested bytes; undefined (drained) otherwise. */
  private bodyOf(res: UpstreamResponse, start: number, end: number, size: number): Readable | undefined {
    const exact = res.status === 206 || (res.status === 200 && start === 0 && end === size - 1);
    const encoding = res.headers['content-encoding'];
    if (exact && encoding && encoding !== 'identity') {
      drain(res.body);
      // Compressed bytes are not the file's bytes: never store them as if they were.
      throw new UpstreamFileError(`Upstream sent file bytes with Content-Encoding ${encoding}`, false);
    }
    if (exact) return res.body;
    drain(res.body);
    return undefined;
  }
}

/** The hub could not deliver (as opposed to refusing): another source may. Never after a 403/404. */
function hubFailed(err: unknown): boolean {
  if (err instanceof UpstreamUnreachableError) return true;
  return (
    err instanceof UpstreamFileError && err.status !== undefined && (err.status >= 500 || err.status === 429)
  );
}

function fileHeaders(range: string): Record<string, string> {
  return { range, 'accept-encoding': 'identity' };
}
