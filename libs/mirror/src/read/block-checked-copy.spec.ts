import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  rmSync,
  truncateSync,
  writeFileSync,
  appendFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { createServer, get, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ChunkId, FsChunkStore } from '@dingo/chunk-store';
import { ChunkRecord } from '@dingo/metadata-store';
import { BlockDigester } from '../blobs/block-digests';
import { BlockBuffers } from './block-buffers';
import { BlockMismatchError, copyCheckedChunk } from './block-checked-stream';
import { ByteSink } from './byte-sink';

const BLOCK = 64 * 1024;
const BLOB = `sha256-${'ab'.repeat(32)}`;

describe('copyCheckedChunk: stored chunks copied block by block into reused buffers', () => {
  let dir: string;
  let store: FsChunkStore;
  let bytes: Buffer;
  let record: ChunkRecord;
  const id: ChunkId = { blob: BLOB, index: 0 };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dingo-copy-'));
    store = new FsChunkStore(join(dir, 'chunks'));
    bytes = randomBytes(5 * BLOCK + 1234);
    const digester = new BlockDigester(BLOCK);
    digester.update(bytes);
    record = {
      blobKey: BLOB,
      index: 0,
      size: bytes.length,
      blockSize: BLOCK,
      blockDigests: digester.finish(),
    };
    writeFileSync(join(dir, 'staged'), bytes);
    await store.putFile(id, join(dir, 'staged'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const chunkPath = () => join(dir, 'chunks', BLOB.slice(7, 9), BLOB, '0');

  async function copyToMemory(from: number, to: number, buffers = new BlockBuffers(BLOCK, 4)) {
    const out = new PassThrough();
    const received: Buffer[] = [];
    out.on('data', (b: Buffer) => received.push(b));
    const outcome = await copyCheckedChunk(
      (await store.openFile(id))!,
      record,
      from,
      to,
      new ByteSink(out),
      'cache',
      buffers,
    );
    return { outcome, body: Buffer.concat(received) };
  }

  it.each([
    [0, 5 * BLOCK + 1233],
    [1, 2],
    [BLOCK - 1, BLOCK],
    [3 * BLOCK + 7, 5 * BLOCK + 1233],
    [5 * BLOCK, 5 * BLOCK],
  ])('bytes %i-%i arrive exactly', async (from, to) => {
    const { outcome, body } = await copyToMemory(from, to);
    expect(outcome).toEqual({ bytes: to - from + 1 });
    expect(body.equals(bytes.subarray(from, to + 1))).toBe(true);
  });

  it('a rotted block stops the copy before any byte of it; earlier blocks were delivered', async () => {
    const fd = openSync(chunkPath(), 'r+');
    writeSync(fd, Buffer.from([bytes[2 * BLOCK + 10]! ^ 0x01]), 0, 1, 2 * BLOCK + 10);
    closeSync(fd);
    const { outcome, body } = await copyToMemory(0, bytes.length - 1);
    expect(outcome.error).toBeInstanceOf(BlockMismatchError);
    expect((outcome.error as BlockMismatchError).block).toBe(2);
    expect(outcome.bytes).toBe(2 * BLOCK);
    expect(body.equals(bytes.subarray(0, 2 * BLOCK))).toBe(true);
  });

  it('a truncated chunk file and one with bytes appended are refused', async () => {
    truncateSync(chunkPath(), bytes.length - 1);
    expect((await copyToMemory(0, 10)).outcome.error).toBeUndefined();
    const short = await copyToMemory(4 * BLOCK, bytes.length - 1);
    expect(short.outcome.error?.message).toMatch(/stored chunk ends at byte/);
    expect(short.body.length).toBe(BLOCK);

    truncateSync(chunkPath(), 0);
    writeFileSync(chunkPath(), bytes);
    appendFileSync(chunkPath(), Buffer.from('x'));
    const long = await copyToMemory(5 * BLOCK, bytes.length - 1);
    expect(long.outcome.error?.message).toMatch(/more bytes than recorded/);
    expect(long.body.length).toBe(0);
  });

  describe('to HTTP clients, buffers are reused only once the socket took their bytes', () => {
    // Larger than loopback's socket buffers, so a stalled client's writes stay queued in Node.
    const big = randomBytes(384 * BLOCK + 99);
    const bigId: ChunkId = { blob: BLOB, index: 1 };
    let bigRecord: ChunkRecord;
    let server: Server;
    let url: string;
    const buffers = new BlockBuffers(BLOCK, 2);

    beforeEach(async () => {
      const digester = new BlockDigester(BLOCK);
      digester.update(big);
      bigRecord = {
        blobKey: BLOB,
        index: 1,
        size: big.length,
        blockSize: BLOCK,
        blockDigests: digester.finish(),
      };
      writeFileSync(join(dir, 'staged-big'), big);
      await store.putFile(bigId, join(dir, 'staged-big'));
      server = createServer((req, res) => {
        res.writeHead(200, { 'content-length': String(big.length) });
        void store.openFile(bigId).then(async (file) => {
          await copyCheckedChunk(file!, bigRecord, 0, big.length - 1, new ByteSink(res), 'cache', buffers);
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterEach(() => new Promise((resolve) => server.close(resolve)));

    /** A client that reads nothing until `go` resolves: the server's writes to it stay queued meanwhile. */
    const download = (go: Promise<void> = Promise.resolve()) =>
      new Promise<Buffer>((resolve, reject) => {
        get(url, (res) => {
          const parts: Buffer[] = [];
          res.pause();
          void go.then(() => res.resume());
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => resolve(Buffer.concat(parts)));
          res.on('error', reject);
        }).on('error', reject);
      });

    it('a stalled client still gets the exact bytes while others reuse the pool, which is refilled', async () => {
      let go!: () => void;
      const stalled = download(new Promise<void>((resolve) => (go = resolve)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const others = await Promise.all(Array.from({ length: 4 }, () => download()));
      go();
      for (const body of [...others, await stalled]) expect(body.equals(big)).toBe(true);
      expect(buffers.pooled).toBe(2);
    });
  });
});
