import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { ChunkFile, ChunkId, ChunkMissingError, ChunkStore, chunkName } from './chunk-store';
import { StreamedChunkFile } from './streamed-chunk-file';

export interface S3ChunkStoreOptions {
  endPoint: string;
  port?: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
  /** Key prefix inside the bucket (no leading or trailing slash needed). */
  prefix?: string;
  /** Multipart part size; the client buffers one part in memory per upload (min 5 MiB, default 64 MiB). */
  partSize?: number;
}

/** S3 answers "no such object/bucket" with these codes (HEAD requests only carry `NotFound`). */
const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
const ALREADY_THERE = new Set(['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']);
const codeOf = (err: unknown) => (err as { code?: string }).code ?? '';

/** Chunks as objects `<prefix>/<2 hex>/<blob>/<index>` in one S3/MinIO bucket, shared by all nodes. */
export class S3ChunkStore implements ChunkStore {
  readonly kind = 's3';
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly prefix: string;
  private bucketReady?: Promise<void>;

  constructor(options: S3ChunkStoreOptions) {
    const { bucket, region, prefix, ...connection } = options;
    this.client = new Client({ ...connection, region, pathStyle: true });
    this.bucket = bucket;
    this.region = region ?? 'us-east-1';
    this.prefix = prefix ? `${prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  }

  /**
   * `s3://key:secret@host:port/bucket[/prefix]?ssl=false&region=eu-west-1&partSize=16777216`.
   * TLS is on unless `ssl=false`; key and secret may be percent-encoded.
   */
  static fromUrl(url: string): S3ChunkStore {
    const u = new URL(url);
    if (u.protocol !== 's3:') throw new Error(`Chunk store URL must start with s3:// (got ${u.protocol}//)`);
    const [bucket, ...prefix] = u.pathname.split('/').filter(Boolean);
    if (!bucket) throw new Error('Chunk store URL names no bucket: s3://key:secret@host:port/bucket');
    const useSSL = u.searchParams.get('ssl') !== 'false';
    const partSize = u.searchParams.get('partSize');
    return new S3ChunkStore({
      endPoint: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      useSSL,
      accessKey: decodeURIComponent(u.username),
      secretKey: decodeURIComponent(u.password),
      bucket,
      region: u.searchParams.get('region') ?? undefined,
      prefix: prefix.join('/') || undefined,
      partSize: partSize ? Number(partSize) : undefined,
    });
  }

  private objectOf(id: ChunkId): string {
    return this.prefix + chunkName(id);
  }

  async stat(id: ChunkId): Promise<number | undefined> {
    const name = this.objectOf(id);
    try {
      return (await this.client.statObject(this.bucket, name)).size;
    } catch (err) {
      if (MISSING.has(codeOf(err))) return undefined;
      throw err;
    }
  }

  async read(id: ChunkId, start = 0, end?: number): Promise<Readable> {
    const name = this.objectOf(id);
    // The client resolves once response headers arrive, so a missing chunk is a rejected promise
    // rather than a stream error in the middle of an HTTP response.
    try {
      if (start === 0 && end === undefined) return await this.client.getObject(this.bucket, name);
      const length = end === undefined ? 0 : end - start + 1; // 0 = to the end of the object
      return await this.client.getPartialObject(this.bucket, name, start, length);
    } catch (err) {
      if (MISSING.has(codeOf(err))) throw new ChunkMissingError(id);
      throw err;
    }
  }

  /**
   * The object's body from `start` on, read into the caller's buffers: one GET per chunk however
   * many blocks are read (its headers are awaited here, so a missing chunk throws now).
   */
  async openFile(id: ChunkId, start = 0): Promise<ChunkFile> {
    const body = await this.read(id, start);
    return new StreamedChunkFile(body, start, (at) => this.read(id, at));
  }

  async putFile(id: ChunkId, localPath: string): Promise<void> {
    const name = this.objectOf(id);
    await this.ensureBucket();
    // An S3 PUT is atomic: readers see the old object or the whole new one, never a part.
    await this.client.fPutObject(this.bucket, name, localPath);
    await unlink(localPath);
  }

  async delete(id: ChunkId): Promise<void> {
    const name = this.objectOf(id);
    try {
      await this.client.removeObject(this.bucket, name);
    } catch (err) {
      if (!MISSING.has(codeOf(err))) throw err;
    }
  }

  async ping(): Promise<void> {
    // A round trip every time (the memoised bucketReady says nothing about the server now);
    // a fresh deployment is healthy before its first write, so a missing bucket is created.
    if (await this.client.bucketExists(this.bucket)) return;
    this.bucketReady = undefined;
    await this.ensureBucket();
  }

  /** Creates the bucket once per process; other nodes may race us to it, which is fine. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= this.createBucket().catch((err) => {
      this.bucketReady = undefined; // let the next write try again
      throw err;
    });
    return this.bucketReady;
  }

  private async createBucket(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      if (!ALREADY_THERE.has(codeOf(err))) throw err;
    }
  }
}
