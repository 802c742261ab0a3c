import {
  contentDispositionFor,
  contentTypeFor,
  EXPOSED_HEADERS,
  HubError,
  parseRange,
  quoteEtag,
  ResolveRoute,
} from '@dingo/hub-protocol';
import { BlobLedger } from '../blobs/blob-ledger';
import { FileLocator } from '../files/file-locator';
import { etagOf, LocatedFile } from '../files/located-file';
import { BlobReader } from '../read/blob-reader';
import { ByteSink } from '../read/byte-sink';
import { RepoObserver } from '../repo-observer';

/** Another store that may hold a file's bytes completely (the Xet CAS of a Xet-serving mirror). */
export type CachedElsewhere = (file: LocatedFile) => Promise<boolean>;

/** A resolve request, decided: status and headers, and how to produce the body. */
export interface FileDownload {
  status: 200 | 206;
  headers: Record<string, string>;
  file: LocatedFile;
  /** Bytes the body will carry. */
  length: number;
  /**
   * Streams the body into `sink` (absent for HEAD and empty files). The sink's first-byte hook
   * sends the headers: a failure before the first byte can still become a proper error status.
   */
  writeBody?: (sink: ByteSink) => Promise<void>;
}

/**
 * `HEAD`/`GET …/resolve/{revision}/{path}`: answers with the Hub's headers and serves the bytes
 * itself for every file, LFS included (clients never leave the mirror).
 */
export class FileDownloads {
  private readonly elsewhere: CachedElsewhere[] = [];
  private readonly observers: RepoObserver[] = [];

  constructor(
    private readonly locator: FileLocator,
    private readonly ledger: BlobLedger,
    private readonly reader: BlobReader,
  ) {}

  addCachedElsewhere(source: CachedElsewhere): void {
    this.elsewhere.push(source);
  }

  /** Files served (GETs) are also told to `observer`. */
  observe(observer: RepoObserver): void {
    this.observers.push(observer);
  }

  async prepare(
    route: ResolveRoute,
    opts: { authorization?: string; range?: string; head: boolean },
  ): Promise<FileDownload> {
    let file = await this.locator.locate(route, opts.authorization);
    // A HEAD promises the file can be downloaded. Not fully cached, that takes upstream: ask it;
    // when it is down, answer 503 now rather than 200 to a GET that would fail.
    if (opts.head && file.size > 0 && !(await this.cached(file))) {
      if (file.via === 'known') file = await this.locator.locate(route, opts.authorization, true);
      // Offline, another source may still hold it (ModelScope): asked only now, never while upstream answers.
      if (file.via === 'offline' && !(await this.cached(file)))
        throw HubError.upstreamUnavailable(`${file.path} is not cached on the mirror`);
    }
    const range = parseRange(opts.range, file.size);
    const etag = quoteEtag(etagOf(file));
    const headers: Record<string, string> = {
      'Content-Type': contentTypeFor(file.path),
      'Content-Disposition': contentDispositionFor(file.path),
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'X-Repo-Commit': file.commit,
      'Access-Control-Expose-Headers': EXPOSED_HEADERS,
    };
    if (file.lfs) {
      headers['X-Linked-Etag'] = etag;
      headers['X-Linked-Size'] = String(file.size);
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? file.size - 1;
    const length = file.size === 0 ? 0 : end - start + 1;
    headers['Content-Length'] = String(length);
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
    const download: FileDownload = { status: range ? 206 : 200, headers, file, length };
    if (!opts.head) for (const o of this.observers) o.fileServed?.(file, start);
    if (!opts.head && length > 0) {
      const source = { file, authorization: opts.authorization };
      download.writeBody = async (sink) => {
        const plan = await this.ledger.plan(file);
        await this.reader.stream(plan, source, start, end, sink);
      };
    }
    return download;
  }

  private async cached(file: LocatedFile): Promise<boolean> {
    if (await this.ledger.isVerified(file.blobKey)) return true;
    for (const holds of this.elsewhere) if (await holds(file)) return true;
    return false;
  }
}
