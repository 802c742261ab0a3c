import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { FsChunkStore } from '@dingo/chunk-store';
import { loadConfig } from '@dingo/config';
import { openMetadataDataSource, TypeOrmMetadataStore } from '@dingo/metadata-store';
import { StagingArea } from '../pull/staging-area';
import { BlobIngest } from './blob-ingest';
import { BlobLedger } from './blob-ledger';

const CHUNK = 256 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

describe('BlobIngest', () => {
  let dir: string;
  let ds: DataSource;
  let meta: TypeOrmMetadataStore;
  let store: FsChunkStore;
  let ledger: BlobLedger;
  let ingest: BlobIngest;
  const stagingDir = () => join(dir, 'staging');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'blob-ingest-'));
    ds = await openMetadataDataSource(
      loadConfig({}, { database: { type: 'sqlite', url: join(dir, 'm.sqlite') } }),
    );
    meta = new TypeOrmMetadataStore(ds);
    store = new FsChunkStore(join(dir, 'chunks'));
    ledger = new BlobLedger(meta, store, CHUNK);
    ingest = new BlobIngest(ledger, store, new StagingArea(stagingDir(), 0));
  });
  afterAll(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The body in pieces of odd sizes, as a socket delivers it. */
  const pieces = (b: Buffer) =>
    Readable.from([b.subarray(0, 1000), b.subarray(1000, 300_001), b.subarray(300_001)]);

  it('stores a multi-chunk LFS blob chunk by chunk, verified, byte-identical', async () => {
    const body = randomBytes(3 * CHUNK + 123);
    const key = await ingest.ingest({ size: body.length, sha256: sha256(body) }, pieces(body));
    expect(key).toBe(`sha256-${sha256(body)}`);
    expect(await ledger.isVerified(key)).toBe(true);
    const chunks = await meta.listChunks(key);
    expect(chunks.map((c) => c.size)).toEqual([CHUNK, CHUNK, CHUNK, 123]);
    expect(chunks.every((c) => c.blockDigests.length > 0)).toBe(true);
    const back: Buffer[] = [];
    for (const c of chunks)
      for await (const part of await store.read({ blob: key, index: c.index })) back.push(part);
    expect(Buffer.concat(back).equals(body)).toBe(true);
    expect(readdirSync(stagingDir())).toEqual([]);
  });

  it('stores regular files by git blob id, the empty file included', async () => {
    for (const body of [Buffer.from('hello\n'), Buffer.alloc(0)]) {
      const key = await ingest.ingest(
        { size: body.length, gitBlobId: gitBlobId(body) },
        Readable.from([body]),
      );
      expect(key).toBe(`gitsha1-${gitBlobId(body)}`);
      expect(await ledger.isVerified(key)).toBe(true);
    }
  });

  it('refuses bytes that do not hash to the name, leaving nothing stored or staged', async () => {
    const body = randomBytes(CHUNK + 5);
    const wrong = sha256(Buffer.from('other'));
    await expect(ingest.ingest({ size: body.length, sha256: wrong }, pieces(body))).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/sha256 mismatch/),
    });
    expect(await ledger.isVerified(`sha256-${wrong}`)).toBe(false);
    expect(await meta.listChunks(`sha256-${wrong}`)).toEqual([]);
    expect(readdirSync(stagingDir())).toEqual([]);
  });

  it('refuses a body longer or shorter than announced', async () => {
    const body = randomBytes(1000);
    await expect(
      ingest.ingest({ size: 999, sha256: sha256(body) }, Readable.from([body])),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      ingest.ingest({ size: 1001, sha256: sha256(body) }, Readable.from([body])),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/Size mismatch/) });
  });

  it('an interrupted upload leaves no visible object, and a retry completes', async () => {
    const body = randomBytes(2 * CHUNK + 7);
    const expected = { size: body.length, sha256: sha256(body) };
    const cut = new PassThrough();
    const first = ingest.ingest(expected, cut);
    cut.write(body.subarray(0, CHUNK + 10));
    setImmediate(() => cut.destroy(new Error('client went away')));
    await expect(first).rejects.toThrow('client went away');
    expect(await ledger.isVerified(`sha256-${expected.sha256}`)).toBe(false);
    expect(await meta.listChunks(`sha256-${expected.sha256}`)).toEqual([]);
    expect(readdirSync(stagingDir())).toEqual([]);
    await ingest.ingest(expected, pieces(body));
    expect(await ledger.isVerified(`sha256-${expected.sha256}`)).toBe(true);
  });
});
