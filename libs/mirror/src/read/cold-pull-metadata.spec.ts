import { chunkCount } from '../blobs/blob-plan';
import { dataPathCore, lfsFile, memorySink, seedChunks } from '../testing/unit-harness';

/**
 * Metadata work per chunk must not grow with the file: a 4 GiB file in 1 MiB chunks is 4096
 * chunks, and a call that reads every chunk of the blob (or of the store) on each chunk landing
 * makes the pull quadratic. Counted on the in-memory store's calls, with small chunks standing
 * in for big ones (the ledger, puller, verifier and storage policy do not look at chunk sizes).
 */
const CHUNK = 8 * 1024;
/** Calls that read a whole blob's chunk list or the whole store. */
const SCANS = ['countChunks', 'listChunks', 'scanChunks', 'storageUsage', 'leastRecentChunks'];

type Core = ReturnType<typeof dataPathCore>;

async function coldPull(chunks: number, storedBefore = 0) {
  const core: Core = dataPathCore({
    chunkSize: CHUNK,
    readAheadChunks: 4,
    runReadAhead: true,
    // Enforced (a free-space floor), so every landed chunk pokes the policy as in the mirror.
    storage: { minFreeBytes: 1 },
    storePieceSize: 64 * 1024,
  });
  try {
    const { bytes, file } = lfsFile(chunks * CHUNK - 123);
    core.serve(bytes);
    const plan = await core.ledger.plan(file);
    // The first chunks as an earlier, interrupted pull would have left them.
    await seedChunks(core, plan, bytes, storedBefore);
    const before = { ...core.meta.calls };
    const { sink, received } = memorySink();
    await core.reader.stream(plan, { file }, 0, bytes.length - 1, sink);
    await core.verifier.idle();
    expect(received().equals(bytes)).toBe(true);
    expect(await core.ledger.isVerified(plan.key)).toBe(true);
    const made = (name: string) => (core.meta.calls[name] ?? 0) - (before[name] ?? 0);
    const names = Object.keys(core.meta.calls);
    const total = names.reduce((sum, name) => sum + made(name), 0);
    const scans = SCANS.reduce((sum, name) => sum + made(name), 0);
    return { perChunk: total / chunkCount(plan), scans, pulled: core.stored.length };
  } finally {
    await core.close();
  }
}

describe('metadata work of a cold pull, per chunk', () => {
  it('stays the same whether the blob has 256 or 1024 chunks', async () => {
    const small = await coldPull(256);
    const large = await coldPull(1024);
    expect(small.pulled).toBe(256);
    expect(large.pulled).toBe(1024);
    // A handful of point lookups and writes per chunk (its record, read-ahead checks), however
    // many chunks (how many read-ahead checks find a pull running varies by a fraction of one).
    expect(large.perChunk).toBeLessThanOrEqual(8);
    expect(large.perChunk).toBeLessThanOrEqual(small.perChunk + 1);
    // Whole-blob or whole-store reads: a few per pull, never one per chunk.
    expect(small.scans).toBeLessThanOrEqual(4);
    expect(large.scans).toBeLessThanOrEqual(4);
  });

  it('stays the same when an earlier pull left the first chunks stored', async () => {
    const small = await coldPull(256, 16);
    const large = await coldPull(1024, 16);
    expect(small.pulled).toBe(240);
    expect(large.pulled).toBe(1008);
    expect(large.perChunk).toBeLessThanOrEqual(8);
    expect(large.perChunk).toBeLessThanOrEqual(small.perChunk + 1);
    expect(small.scans).toBeLessThanOrEqual(4);
    expect(large.scans).toBeLessThanOrEqual(4);
  });
});
