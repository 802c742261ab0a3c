import { HubError } from '@dingo/hub-protocol';
import { PRIORITY } from '@dingo/jobs';
import { dataPathCore, lfsFile, memorySink, seedBlob } from '../testing/unit-harness';

describe('BlobReader', () => {
  // 40 bytes in chunks of 16 (16 + 16 + 8); the store serves pieces of 7 bytes.
  const { bytes, file } = lfsFile(40);
  let core: ReturnType<typeof dataPathCore>;
  afterEach(async () => core.close());

  it('reads a range across chunk boundaries from the store, without upstream', async () => {
    core = dataPathCore({ chunkSize: 16 });
    const plan = await seedBlob(core, file, bytes);
    const { sink, received, headersSent } = memorySink();
    await core.reader.stream(plan, { file }, 10, 35, sink);
    expect(received()).toEqual(bytes.subarray(10, 36));
    expect(headersSent()).toBe(true);
    expect(sink.bySource).toEqual({ cache: 26, upstream: 0 });
    expect(core.upstream.requests).toEqual([]);
    expect(core.readAhead.added).toEqual([]);
  });

  it('reads single bytes at chunk edges and a range inside one chunk', async () => {
    core = dataPathCore({ chunkSize: 16 });
    const plan = await seedBlob(core, file, bytes);
    for (const [start, end] of [
      [15, 16],
      [31, 32],
      [39, 39],
      [17, 20],
    ]) {
      const { sink, received } = memorySink();
      await core.reader.stream(plan, { file }, start, end, sink);
      expect(received()).toEqual(bytes.subarray(start, end + 1));
    }
  });

  it('cold: streams the whole file from upstream, verifies it, and stores every chunk', async () => {
    core = dataPathCore({ chunkSize: 16 });
    core.serve(bytes);
    const plan = await core.ledger.plan(file);
    const { sink, received } = memorySink();
    await core.reader.stream(plan, { file }, 0, 39, sink);
    expect(received()).toEqual(bytes);
    expect(core.upstream.requests.map((r) => r.headers?.range)).toEqual([
      'bytes=0-15',
      'bytes=16-31',
      'bytes=32-39',
    ]);
    // All held-back tail, served once verified: still upstream bytes, not a cache hit.
    expect(sink.bySource).toEqual({ cache: 0, upstream: 40 });
    expect(await core.ledger.isVerified(file.blobKey)).toBe(true);
    expect((await core.meta.getBlob(file.blobKey))!.state).toBe('verified');
    expect(await core.meta.countChunks(file.blobKey)).toBe(3);
    // Warm now: the same range again is served from the store alone.
    core.upstream.requests.length = 0;
    const again = memorySink();
    await core.reader.stream(plan, { file }, 0, 39, again.sink);
    expect(again.received()).toEqual(bytes);
    expect(again.sink.bySource).toEqual({ cache: 40, upstream: 0 });
    expect(core.upstream.requests).toEqual([]);
  });

  it('cold, to the last byte: holds back the last 64 KiB until the blob hashes to its name', async () => {
    const big = lfsFile(70_000, 'big.bin', 2);
    core = dataPathCore({ chunkSize: 16_384, storePieceSize: 4096 });
    core.serve(big.bytes);
    const plan = await core.ledger.plan(big.file);
    const { sink, received } = memorySink();
    await core.reader.stream(plan, { file: big.file }, 0, 69_999, sink);
    expect(received()).toEqual(big.bytes);
    // Every byte was pulled for this request: the held-back tail too, though read from the store.
    expect(sink.bySource).toEqual({ upstream: 70_000, cache: 0 });
    expect(await core.ledger.isVerified(big.file.blobKey)).toBe(true);
  });

  it('queues read-ahead of the next chunks while a client reads an incomplete blob', async () => {
    core = dataPathCore({ chunkSize: 16, readAheadChunks: 2 });
    core.serve(bytes);
    const plan = await core.ledger.plan(file);
    const { sink, received } = memorySink();
    await core.reader.stream(plan, { file }, 0, 9, sink);
    expect(received()).toEqual(bytes.subarray(0, 10));
    await new Promise((r) => setImmediate(r));
    expect(core.readAhead.added.map((j) => [j.data.index, j.opts])).toEqual([
      [1, { priority: PRIORITY.readAhead, jobId: `${file.blobKey}#1` }],
      [2, { priority: PRIORITY.readAhead, jobId: `${file.blobKey}#2` }],
    ]);
  });

  it('refuses a blob whose bytes do not hash to its name: no byte of its tail is sent, nothing is kept', async () => {
    core = dataPathCore({ chunkSize: 16 });
    const tampered = Buffer.from(bytes);
    tampered[20] ^= 0xff;
    core.serve(tampered);
    const plan = await core.ledger.plan(file);
    const { sink, received } = memorySink();
    const err = await core.reader.stream(plan, { file }, 0, 39, sink).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ status: 502, code: 'IntegrityError' });
    // The whole (small) body is its held-back tail: the client got nothing it could take as the file.
    expect(received().length).toBe(0);
    expect(core.store.size).toBe(0);
    expect(await core.meta.countChunks(file.blobKey)).toBe(0);
    expect((await core.meta.getBlob(file.blobKey))!.state).toBe('corrupt');
    expect(core.verifier.failures).toBe(1);
  });

  it('a chunk that rotted on disk is never delivered: dropped and pulled again mid-stream', async () => {
    core = dataPathCore({ chunkSize: 16 });
    const plan = await seedBlob(core, file, bytes);
    core.store.flipBit({ blob: file.blobKey, index: 1 }, 3);
    core.serve(bytes);
    const { sink, received } = memorySink();
    await core.reader.stream(plan, { file }, 0, 39, sink);
    expect(received()).toEqual(bytes);
    expect(core.reader.blockMismatches).toBe(1);
    expect(core.upstream.requests.map((r) => r.headers?.range)).toEqual(['bytes=16-31']);
    await core.puller.pull(plan, 1, { file }).done; // the re-pull (joined, not repeated) is stored
    expect(core.upstream.requests).toHaveLength(1);
    expect(core.store.bytes({ blob: file.blobKey, index: 1 })).toEqual(bytes.subarray(16, 32));
  });

  describe('with a store that opens chunks for reads into buffers (S3)', () => {
    it('reads ranges with one request per chunk, the next chunk opened while one is copied', async () => {
      core = dataPathCore({ chunkSize: 16, storeOpensFiles: true });
      const plan = await seedBlob(core, file, bytes);
      const opensAtFirstWrite: number[] = [];
      const { sink, received } = memorySink();
      const write = sink.writeReused.bind(sink);
      sink.writeReused = (buf, from, release) => {
        opensAtFirstWrite.push(core.store.opened.length);
        return write(buf, from, release);
      };
      await core.reader.stream(plan, { file }, 10, 35, sink);
      expect(received()).toEqual(bytes.subarray(10, 36));
      expect(core.store.opened).toEqual([0, 1, 2]);
      expect(core.store.reads).toBe(3);
      // Chunk 1 was open before chunk 0's bytes went out; chunk 2 before chunk 1's.
      expect(opensAtFirstWrite).toEqual([2, 3, 3]);
      for (const [start, end] of [
        [15, 16],
        [39, 39],
        [17, 20],
      ]) {
        const one = memorySink();
        await core.reader.stream(plan, { file }, start, end, one.sink);
        expect(one.received()).toEqual(bytes.subarray(start, end + 1));
      }
      expect(core.upstream.requests).toEqual([]);
    });

    it('a rotted chunk opened ahead is never delivered: dropped and pulled again mid-stream', async () => {
      core = dataPathCore({ chunkSize: 16, storeOpensFiles: true });
      const plan = await seedBlob(core, file, bytes);
      core.store.flipBit({ blob: file.blobKey, index: 1 }, 3);
      core.serve(bytes);
      const { sink, received } = memorySink();
      await core.reader.stream(plan, { file }, 0, 39, sink);
      expect(received()).toEqual(bytes);
      expect(core.reader.blockMismatches).toBe(1);
      expect(core.upstream.requests.map((r) => r.headers?.range)).toEqual(['bytes=16-31']);
    });

    it('a chunk missing from the store is pulled again, though the read ahead of it failed', async () => {
      core = dataPathCore({ chunkSize: 16, storeOpensFiles: true });
      const plan = await seedBlob(core, file, bytes);
      await core.store.delete({ blob: file.blobKey, index: 2 });
      core.serve(bytes);
      const { sink, received } = memorySink();
      await core.reader.stream(plan, { file }, 0, 39, sink);
      expect(received()).toEqual(bytes);
      expect(core.upstream.requests.map((r) => r.headers?.range)).toEqual(['bytes=32-39']);
    });
  });

  it('a recorded chunk missing from the store is pulled again', async () => {
    core = dataPathCore({ chunkSize: 16 });
    const plan = await seedBlob(core, file, bytes);
    await core.store.delete({ blob: file.blobKey, index: 2 });
    core.serve(bytes);
    const { sink, received } = memorySink();
    await core.reader.stream(plan, { file }, 30, 39, sink);
    expect(received()).toEqual(bytes.subarray(30, 40));
    expect(core.upstream.requests.map((r) => r.headers?.range)).toEqual(['bytes=32-39']);
    expect(sink.bySource).toEqual({ cache: 2, upstream: 8 });
  });

  it('holds a lease on the blob while it streams (not evicted from under a reader)', async () => {
    core = dataPathCore({ chunkSize: 16 });
    const plan = await seedBlob(core, file, bytes);
    const { sink } = memorySink();
    const streaming = core.reader.stream(plan, { file }, 0, 39, sink);
    expect(core.usage.isHeld(file.blobKey)).toBe(true);
    await streaming;
    expect(core.usage.isHeld(file.blobKey)).toBe(false);
  });
});
