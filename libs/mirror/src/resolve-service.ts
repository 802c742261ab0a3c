import { Writable } from 'node:stream';
import {
  contentDispositionFor,
  contentTypeFor,
  EXPOSED_HEADERS,
  parseRange,
  quoteEtag,
  ResolveRoute,
} from '@dingo/hub-protocol';
import { MetadataPort } from '@dingo/metadata-store';
import { BlobPlan } from './blob-plan';
import { BlobReader } from './blob-reader';
import { FileLocator } from './file-locator';
import { etagOf, LocatedFile } from './located-file';

export interface ResolveAnswer {
  status: 200 | 206;
  headers: Record<string, string>;
  file: LocatedFile;
  /** Writes the body (absent for HEAD). */
  writeBody?: (out: Writable) => Promise<void>;
}

/**
 * `HEAD`/`GET …/resolve/{revision}/{path}`: answers with the Hub's headers and serves the bytes
 * itself for every file, LFS included (clients never leave the mirror).
 */
export class ResolveService {
  constructor(
    private readonly locator: FileLocator,
    private readonly meta: MetadataPort,
    private readonly reader: BlobReader,
    private readonly chunkSize: number,
  ) {}

  async resolve(
    route: ResolveRoute,
    opts: { authorization?: string; range?: string; head: boolean },
  ): Promise<ResolveAnswer> {
    const file = await this.locator.locate(route, opts.authorization);
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
    headers['Content-Length'] = String(file.size === 0 ? 0 : end - start + 1);
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
    const answer: ResolveAnswer = { status: range ? 206 : 200, headers, file };
    if (!opts.head && file.size > 0) {
      const source = { file, authorization: opts.authorization };
      answer.writeBody = async (out) => {
        const plan = await this.planFor(file);
        await this.reader.stream(plan, source, start, end, out);
      };
    }
    return answer;
  }

  /** The blob's chunk layout; fixed at first pull so a config change never splits a blob twice. */
  async planFor(file: LocatedFile): Promise<BlobPlan> {
    const existing = await this.meta.getBlob(file.blobKey);
    if (existing && existing.size === file.size) {
      if (existing.state === 'corrupt') await this.meta.setBlobState(file.blobKey, 'partial');
      return { key: file.blobKey, size: existing.size, chunkSize: existing.chunkSize };
    }
    const now = Date.now();
    const plan = { key: file.blobKey, size: file.size, chunkSize: this.chunkSize };
    await this.meta.putBlob({ ...plan, state: 'partial', createdAt: now, lastAccessAt: now });
    return plan;
  }
}
