import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { HubError, RepoRef, repoUrlPrefix } from '@dingo/hub-protocol';
import { HostedRepos } from './hosted-repos';
import { BlobSink } from './hosted-writes';
import { MultipartParts, PartLayout, partCount } from './multipart-parts';
import { uploadModeFor } from './upload-modes';

const SHA256 = /^[0-9a-f]{64}$/;
const UPLOAD_URL_TTL_SECONDS = 3600;

export interface Signed {
  expires?: string;
  sig?: string;
}

interface BatchObject {
  oid?: unknown;
  size?: unknown;
}

/**
 * The Git LFS side of pushes: preupload (which files go LFS), the batch API with the `basic`
 * transfer whose upload URLs point at the mirror itself (signed: huggingface_hub sends the PUT
 * without credentials, like to the Hub's storage), and the upload, streamed into the chunk store.
 */
export class HostedLfs {
  constructor(
    private readonly repos: HostedRepos,
    private readonly blobs: BlobSink,
    private readonly secret: string,
    private readonly parts: MultipartParts,
    /** Objects larger than this go multipart when the client offers it, in parts of this size. */
    private readonly partSize: number,
  ) {}

  async preupload(repo: RepoRef, revision: string, body: unknown): Promise<unknown> {
    this.repos.assertLocal(repo);
    const { files } = await this.repos.revision(repo, revision);
    const asked = (body as { files?: unknown })?.files;
    if (!Array.isArray(asked)) throw HubError.badRequest('Invalid body: "files" must be a list');
    return {
      files: asked.map((f: { path?: unknown; size?: unknown; sample?: unknown }) => {
        if (typeof f.path !== 'string' || typeof f.size !== 'number')
          throw HubError.badRequest('Invalid body: each file needs a path and a size');
        const sample = typeof f.sample === 'string' ? Buffer.from(f.sample, 'base64') : Buffer.alloc(0);
        const existing = files.get(f.path);
        return {
          path: f.path,
          uploadMode: uploadModeFor(f.path, f.size, sample),
          shouldIgnore: false,
          oid: existing ? (existing.lfs?.sha256 ?? existing.blobId) : undefined,
        };
      }),
    };
  }

  async batch(repo: RepoRef, body: unknown, base: string): Promise<unknown> {
    this.repos.assertLocal(repo);
    await this.repos.get(repo);
    const b = (body ?? {}) as {
      operation?: unknown;
      objects?: unknown;
      hash_algo?: unknown;
      transfers?: unknown;
    };
    const multipart = Array.isArray(b.transfers) && b.transfers.includes('multipart');
    if (b.operation !== 'upload') throw HubError.badRequest('Only the "upload" operation is served here');
    // huggingface_hub says `sha256`, @huggingface/hub `sha_256`.
    if (b.hash_algo !== undefined && b.hash_algo !== 'sha256' && b.hash_algo !== 'sha_256')
      throw HubError.badRequest('hash_algo must be sha256');
    if (!Array.isArray(b.objects)) throw HubError.badRequest('Invalid body: "objects" must be a list');
    const objects = [];
    for (const o of b.objects as BatchObject[]) {
      const oid = typeof o.oid === 'string' ? o.oid.toLowerCase() : '';
      const size = o.size;
      if (!SHA256.test(oid) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        objects.push({
          oid: String(o.oid),
          size: Number(size) || 0,
          error: { code: 422, message: 'Invalid object' },
        });
        continue;
      }
      if ((await this.blobs.verifiedBlobSize(`sha256-${oid}`)) === size) {
        objects.push({ oid, size });
        continue;
      }
      const expires = Math.floor(Date.now() / 1000) + UPLOAD_URL_TTL_SECONDS;
      const object = `${base}/${repoUrlPrefix(repo.type)}${repo.id}.git/info/lfs/objects/${oid}/${size}`;
      const signed = (what: string) => `expires=${expires}&sig=${this.sign(repo, oid, size, expires, what)}`;
      const upload: Record<string, unknown> = {
        href: `${object}?${signed('put')}`,
        expires_in: UPLOAD_URL_TTL_SECONDS,
      };
      if (multipart && size > this.partSize) {
        // The Hub's multipart form: part URLs keyed by number, and the completion URL as href.
        const header: Record<string, string> = { chunk_size: String(this.partSize) };
        for (let n = 1; n <= partCount({ size, partSize: this.partSize }); n++)
          header[String(n).padStart(5, '0')] = `${object}/part/${n}?${signed(`part ${n}`)}`;
        upload.href = `${object}/complete?${signed(`complete ${this.partSize}`)}`;
        upload.header = header;
      }
      objects.push({ oid, size, authenticated: true, actions: { upload } });
    }
    // Xet is never answered: clients fall back to `basic` (multipart rides on it, as on the Hub).
    return { transfer: 'basic', objects, hash_algo: 'sha256' };
  }

  async upload(repo: RepoRef, oid: string, size: number, signed: Signed, body: Readable): Promise<void> {
    await this.assertSigned(repo, oid, size, signed, 'put');
    await this.blobs.storeBlob({ size, sha256: oid }, body);
  }

  /** One part of a multipart upload; answers its ETag. */
  async uploadPart(
    repo: RepoRef,
    oid: string,
    size: number,
    part: number,
    signed: Signed,
    body: Readable,
  ): Promise<string> {
    await this.assertSigned(repo, oid, size, signed, `part ${part}`);
    return this.parts.put(oid, this.layout(size), part, body);
  }

  /** The completion call: the parts, in order, become the object (sha256-checked), then go. */
  async completeMultipart(repo: RepoRef, oid: string, size: number, signed: Signed): Promise<void> {
    await this.assertSigned(repo, oid, size, signed, `complete ${this.partSize}`);
    const layout = this.layout(size);
    try {
      await this.blobs.storeBlob({ size, sha256: oid }, await this.parts.whole(oid, layout));
    } finally {
      await this.parts.remove(oid, layout);
    }
  }

  private layout(size: number): PartLayout {
    return { size, partSize: this.partSize };
  }

  private async assertSigned(
    repo: RepoRef,
    oid: string,
    size: number,
    signed: Signed,
    what: string,
  ): Promise<void> {
    const expires = Number(signed.expires);
    const good =
      typeof signed.sig === 'string' &&
      Number.isSafeInteger(expires) &&
      expires >= Date.now() / 1000 &&
      safeEqual(signed.sig, this.sign(repo, oid, size, expires, what));
    if (!good) throw HubError.forbidden('This upload URL is invalid or expired: ask the LFS batch API again');
    this.repos.assertLocal(repo);
    await this.repos.get(repo);
  }

  private sign(repo: RepoRef, oid: string, size: number, expires: number, what: string): string {
    return createHmac('sha256', this.secret)
      .update(`hosted-lfs-upload\n${what}\n${repo.type}\n${repo.id}\n${oid}\n${size}\n${expires}`)
      .digest('hex');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
