import { gzipSync } from 'node:zlib';
import { brokenBody } from '@dingo/upstream/testing';
import { BlobPlan } from '../blobs/blob-plan';
import { dataPathCore, lfsFile, rangeAnswer, readAll } from '../testing/unit-harness';
import { ChunkLock } from './chunk-puller';
import { UpstreamFileError } from './upstream-file-reader';

describe('ChunkPuller', () => {
  // 40 bytes in chunks of 16: chunk 1 is bytes 16..31.
  const { bytes, file } = lfsFile(40);
  const chunk1 = bytes.subarray(16, 32);
  const id = { blob: file.blobKey, index: 1 };
  let core: ReturnType<typeof dataPathCore>;
  let plan: BlobPlan;

  async function setup(options: Partial<Parameters<typeof dataPathCore>[0]> = {}) {
    core = dataPathCore({ chunkSize: 16, ...options });
    plan = await core.ledger.plan(file);
  }
  afterEach(async () => {
    jest.useRealTimers();
    await core.close();
  });

  const ranges = () => core.upstream.requests.map((r) => r.headers?.range);

  it('pulls a chunk once however many callers ask at the same time (single-flight)', async () => {
    await setup();
    core.serve(bytes);
    const first = core.puller.pull(plan, 1, { file });
    const second = core.puller.pull(plan, 1, { file });
    expect(second).toBe(first);
    expect(core.puller.active(id)).toBe(first);
    expect(core.puller.inflightCount).toBe(1);
    const followed = readAll(first.file.createReader(0, 15));
    await first.done;
    expect(await followed).toEqual(chunk1);
    expect(ranges()).toEqual(['bytes=16-31']);
    expect(core.puller.active(id)).toBeUndefined();
    // Finished lately: a caller that missed the ledger record joins it instead of pulling again.
    expect(core.puller.pull(plan, 1, { file })).toBe(first);
    expect(core.upstream.requests).toHaveLength(1);
    expect(core.puller.stats).toEqual({ upstreamBytes: 16, chunksPulled: 1, retries: 0, bytesBySource: {} });
  });

  it('stores the chunk and records it with its block digests only once complete', async () => {
    await setup();
    core.serve(bytes);
    await core.puller.pull(plan, 1, { file }).done;
    expect(core.store.bytes(id)).toEqual(chunk1);
    expect(await core.meta.getChunk(file.blobKey, 1)).toEqual({
      blobKey: file.blobKey,
      index: 1,
      size: 16,
      blockSize: 16,
      blockDigests: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(core.stored).toEqual([[file.blobKey, 1]]);
    expect(core.stagingFiles()).toEqual([]);
  });

  it('a dropped chunk is pulled again, not found among recent downloads', async () => {
    await setup();
    core.serve(bytes);
    const first = core.puller.pull(plan, 1, { file });
    await first.done;
    await core.ledger.drop(id, 'test', 'debug');
    const again = core.puller.pull(plan, 1, { file });
    expect(again).not.toBe(first);
    await again.done;
    expect(core.upstream.requests).toHaveLength(2);
  });

  it('resumes from the last byte written when the upstream body ends early', async () => {
    await setup();
    let calls = 0;
    core.upstream.answer((req) => {
      const answer = rangeAnswer(bytes, req.headers?.range);
      // The first answer promises 16 bytes and sends 5.
      return calls++ === 0 ? { ...answer, body: chunk1.subarray(0, 5) } : answer;
    });
    const download = core.puller.pull(plan, 1, { file });
    const followed = readAll(download.file.createReader(0, 15));
    await download.done;
    expect(ranges()).toEqual(['bytes=16-31', 'bytes=21-31']);
    expect(await followed).toEqual(chunk1);
    expect(core.store.bytes(id)).toEqual(chunk1);
    expect(core.puller.stats).toMatchObject({ upstreamBytes: 16, retries: 1 });
  });

  it('resumes after a connection reset mid-body (after its back-off)', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date', 'performance'] });
    await setup();
    let calls = 0;
    core.upstream.answer((req) => {
      const answer = rangeAnswer(bytes, req.headers?.range);
      return calls++ === 0 ? { ...answer, body: brokenBody(chunk1.subarray(0, 9)) } : answer;
    });
    const download = core.puller.pull(plan, 1, { file });
    let settled = false;
    void download.done.finally(() => (settled = true));
    // Skip the back-off without waiting for it in real time.
    while (!settled) {
      await jest.advanceTimersByTimeAsync(250);
      await new Promise((r) => setImmediate(r));
    }
    await download.done;
    expect(ranges()).toEqual(['bytes=16-31', 'bytes=25-31']);
    expect(core.store.bytes(id)).toEqual(chunk1);
    expect(core.puller.stats.retries).toBe(1);
  });

  it('gives up after its retries: nothing stored or recorded, staging cleaned, readers failed', async () => {
    await setup({ retries: 1 });
    core.upstream.answer((req) => ({ ...rangeAnswer(bytes, req.headers?.range), body: Buffer.from('ab') }));
    const download = core.puller.pull(plan, 1, { file });
    const followed = readAll(download.file.createReader(0, 15)).catch((err: Error) => err);
    await expect(download.done).rejects.toThrow(/ended early/);
    expect(await followed).toMatchObject({ message: expect.stringMatching(/ended early/) });
    expect(core.upstream.requests).toHaveLength(2);
    expect(core.store.size).toBe(0);
    expect(await core.meta.getChunk(file.blobKey, 1)).toBeUndefined();
    expect(core.stagingFiles()).toEqual([]);
    expect(core.stored).toEqual([]);
    // A failed pull is not remembered: the next caller starts a new one.
    expect(core.puller.active(id)).toBeUndefined();
  });

  it('does not retry an answer that cannot get better (404)', async () => {
    await setup({ retries: 3 });
    core.upstream.answer(() => ({ status: 404, body: '{"error":"gone"}' }));
    const download = core.puller.pull(plan, 1, { file });
    await expect(download.done).rejects.toBeInstanceOf(UpstreamFileError);
    expect(core.upstream.requests).toHaveLength(1);
    expect(core.store.size).toBe(0);
  });

  it('refuses compressed bytes: they are not the file and are never stored', async () => {
    await setup({ retries: 3 });
    core.upstream.answer((req) => ({
      ...rangeAnswer(bytes, req.headers?.range),
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(chunk1),
    }));
    await expect(core.puller.pull(plan, 1, { file }).done).rejects.toThrow(/Content-Encoding gzip/);
    expect(core.upstream.requests).toHaveLength(1);
    expect(core.upstream.requests[0].headers).toMatchObject({ 'accept-encoding': 'identity' });
    expect(core.store.size).toBe(0);
    expect(await core.meta.countChunks(file.blobKey)).toBe(0);
  });

  it('with a cluster lock held elsewhere, waits and copies the chunk the holder stored (no upstream call)', async () => {
    const lock: ChunkLock = {
      acquire: jest.fn(async () => undefined),
      renew: jest.fn(async () => true),
      release: jest.fn(async () => true),
      waitFor: jest.fn(async () => {
        // Meanwhile the node holding the lock stored the chunk in the shared store.
        core.store.put(id, chunk1);
        await core.meta.putChunk({
          blobKey: file.blobKey,
          index: 1,
          size: 16,
          blockSize: 16,
          blockDigests: '',
        });
        return true;
      }),
    };
    await setup({ lock });
    const download = core.puller.pull(plan, 1, { file });
    const followed = readAll(download.file.createReader(0, 15));
    await download.done;
    expect(await followed).toEqual(chunk1);
    expect(core.upstream.requests).toEqual([]);
    expect(lock.release).not.toHaveBeenCalled();
    expect(core.stored).toEqual([]);
  });

  it('with the cluster lock acquired, pulls and then releases it with its token', async () => {
    const lock: ChunkLock = {
      acquire: jest.fn(async () => 'token-1'),
      renew: jest.fn(async () => true),
      release: jest.fn(async () => true),
      waitFor: jest.fn(async () => true),
    };
    await setup({ lock });
    core.serve(bytes);
    await core.puller.pull(plan, 1, { file }).done;
    expect(lock.acquire).toHaveBeenCalledWith(`${file.blobKey}#1`, 30_000);
    expect(lock.release).toHaveBeenCalledWith(`${file.blobKey}#1`, 'token-1');
    expect(core.store.bytes(id)).toEqual(chunk1);
  });
});
