import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { HubError, RepoRef, repoUrlPrefix } from '@dingo/hub-protocol';
import { HostedRepos } from './hosted-repos';
import { BlobSink } from './hosted-writes';
import { uploadModeFor } from './upload-modes';

const SHA256 = /^[0-9a-f]{64}$/;
const UPLOAD_URL_TTL_SECONDS = 3600;

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
    const b = (body ?? {}) as { operation?: unknown; objects?: unknown; hash_algo?: unknown };
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
      const sig = this.sign(repo, oid, size, expires);
      objects.push({
        oid,
        size,
        authenticated: true,
        actions: {
          upload: {
            href: `${base}/${repoUrlPrefix(repo.type)}${repo.id}.git/info/lfs/objects/${oid}/${size}?expires=${expires}&sig=${sig}`,
            expires_in: UPLOAD_URL_TTL_SECONDS,
          },
        },
      });
    }
    // Whatever the client offers (xet, multipart), the mirror answers `basic`.
    return { transfer: 'basic', objects, hash_algo: 'sha256' };
  }

  async upload(
    repo: RepoRef,
    oid: string,
    size: number,
    signed: { expires?: string; sig?: string },
    body: Readable,
  ): Promise<void> {
    const expires = Number(signed.expires);
    const good =
      typeof signed.sig === 'string' &&
      Number.isSafeInteger(expires) &&
      expires >= Date.now() / 1000 &&
      safeEqual(signed.sig, this.sign(repo, oid, size, expires));
    if (!good) throw HubError.forbidden('This upload URL is invalid or expired: ask the LFS batch API again');
    this.repos.assertLocal(repo);
    await this.repos.get(repo);
    await this.blobs.storeBlob({ size, sha256: oid }, body);
  }

  private sign(repo: RepoRef, oid: string, size: number, expires: number): string {
    return createHmac('sha256', this.secret)
      .update(`hosted-lfs-upload\n${repo.type}\n${repo.id}\n${oid}\n${size}\n${expires}`)
      .digest('hex');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
