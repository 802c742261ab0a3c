import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chunkStoreContract } from './chunk-store.contract';
import { S3ChunkStore } from './s3-chunk-store';
import { startS3 } from '@dingo/test-infra';

chunkStoreContract(
  's3 (s3rver)',
  async () => {
    const s3 = await startS3();
    // A prefix, so the contract also covers keys below the bucket root.
    return { store: S3ChunkStore.fromUrl(s3.url('chunks/mirror-a')), close: s3.close };
  },
  { opensFiles: true },
);

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of stream) hash.update(part as Buffer);
  return hash.digest('hex');
}

describe('S3ChunkStore', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let scratch: string;
  beforeAll(async () => {
    s3 = await startS3();
    scratch = await mkdtemp(join(tmpdir(), 's3-chunks-'));
  });
  afterAll(async () => {
    await s3.close();
    await rm(scratch, { recursive: true, force: true });
  });

  // Below the client's 64 MiB part size, so one PUT: s3rver lacks ListMultipartUploads, which
  // the minio client calls before a multipart upload (real S3/MinIO have it).
  it('round-trips a 20 MiB chunk and removes the local file', async () => {
    const store = S3ChunkStore.fromUrl(s3.url('big'));
    const file = join(scratch, 'big');
    const hash = createHash('sha256');
    // Written in 1 MiB pieces so the test itself never holds the whole chunk.
    await pipeline(
      Readable.from(
        (function* () {
          for (let i = 0; i < 20; i++) {
            const piece = randomBytes(1024 * 1024);
            hash.update(piece);
            yield piece;
          }
        })(),
      ),
      createWriteStream(file),
    );
    const id = { blob: `sha256-${'cd'.repeat(32)}`, index: 3 };
    await store.putFile(id, file);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await store.stat(id)).toBe(20 * 1024 * 1024);
    expect(await sha256(await store.read(id))).toBe(hash.digest('hex'));
    const tail = await store.read(id, 20 * 1024 * 1024 - 10, 20 * 1024 * 1024 - 1);
    let tailBytes = 0;
    for await (const part of tail) tailBytes += (part as Buffer).length;
    expect(tailBytes).toBe(10);
  }, 30_000);

  it('creates its bucket once even when writers race', async () => {
    const stores = [1, 2, 3].map(() => S3ChunkStore.fromUrl(s3.url('raced')));
    await Promise.all(
      stores.map(async (store, index) => {
        const file = join(scratch, `race-${index}`);
        await pipeline(Readable.from([Buffer.from(`chunk ${index}`)]), createWriteStream(file));
        await store.putFile({ blob: `gitsha1-${'e'.repeat(40)}`, index }, file);
      }),
    );
    expect(await stores[0].stat({ blob: `gitsha1-${'e'.repeat(40)}`, index: 2 })).toBe(7);
  });

  it('is healthy before the first write and fails ping when S3 is unreachable', async () => {
    await expect(S3ChunkStore.fromUrl(s3.url('fresh')).ping()).resolves.toBeUndefined();
    const dead = S3ChunkStore.fromUrl('s3://a:b@127.0.0.1:1/none?ssl=false');
    await expect(dead.ping()).rejects.toThrow();
  });

  it('parses its URL', () => {
    expect(() => S3ChunkStore.fromUrl('http://a:b@h/x')).toThrow(/s3:\/\//);
    expect(() => S3ChunkStore.fromUrl('s3://a:b@h:9000/')).toThrow(/no bucket/);
  });
});
