import { Readable } from 'node:stream';
import { brokenBody, FakeAnswer } from '@dingo/upstream/testing';
import { BlobPlan, chunkCount } from '../blobs/blob-plan';
import { COMMIT, dataPathCore, HUB, lfsFile, rangeAnswer } from '../testing/unit-harness';
import { BlobSource } from './blob-sources';

const HUB2 = 'https://mirror-of-hub.test';

describe('multi-source chunk pulls (BlobSources + ChunkPuller)', () => {
  // 64 bytes in chunks of 16: four chunks.
  const { bytes, file } = lfsFile(64);
  let core: ReturnType<typeof dataPathCore>;
  let plan: BlobPlan;
  afterEach(() => core.close());

  /** Both origins answer a HEAD of the file with `heads[origin]` (default: same commit and sha256) and ranges with `ranged`. */
  async function setup(
    opts: {
      heads?: Record<string, Record<string, string>>;
      ranged?: (origin: string, range: string | undefined) => FakeAnswer | Promise<FakeAnswer>;
      stealMinBytes?: number;
    } = {},
  ) {
    core = dataPathCore({
      chunkSize: 16,
      origins: [HUB, HUB2],
      multiSource: true,
      stealMinBytes: opts.stealMinBytes,
    });
    plan = await core.ledger.plan(file);
    core.upstream.answer((req) => {
      const origin = new URL(req.url).origin;
      if (req.method === 'HEAD')
        return {
          status: 302,
          headers: opts.heads?.[origin] ?? { 'x-repo-commit': COMMIT, 'x-linked-etag': `"${file.sha256}"` },
        };
      return opts.ranged ? opts.ranged(origin, req.headers?.range) : rangeAnswer(bytes, req.headers?.range);
    });
  }

  const gets = (origin: string) =>
    core.upstream.requests.filter((r) => r.method !== 'HEAD' && r.url.startsWith(origin));

  async function pullAll(): Promise<void> {
    const downloads = Array.from({ length: chunkCount(plan) }, (_, i) => core.puller.pull(plan, i, { file }));
    await Promise.all(downloads.map((d) => d.done));
    await core.verifier.verifyIfComplete(plan);
  }

  it('splits the chunks of a blob both origins confirm (same commit and sha256) between them', async () => {
    await setup();
    await pullAll();
    expect(gets(HUB).length).toBeGreaterThan(0);
    expect(gets(HUB2).length).toBeGreaterThan(0);
    // Every chunk is cut in two (equal shares while neither is measured): one piece from each.
    expect(
      gets(HUB)
        .map((r) => r.headers?.range)
        .sort(),
    ).toEqual(['bytes=0-7', 'bytes=16-23', 'bytes=32-39', 'bytes=48-55'].sort());
    expect(
      gets(HUB2)
        .map((r) => r.headers?.range)
        .sort(),
    ).toEqual(['bytes=8-15', 'bytes=24-31', 'bytes=40-47', 'bytes=56-63'].sort());
    // The confirmation is one HEAD per origin for the blob, at its commit.
    const heads = core.upstream.requests.filter((r) => r.method === 'HEAD');
    expect(heads.map((r) => r.url).sort()).toEqual(
      [HUB, HUB2].map((o) => `${o}/o/m/resolve/${COMMIT}/model.bin`).sort(),
    );
    expect(await core.ledger.isVerified(plan.key)).toBe(true);
    expect(core.puller.stats.bytesBySource[HUB] + core.puller.stats.bytesBySource[HUB2]).toBe(64);
  });

  it.each<[string, Record<string, string>]>([
    ['another sha256', { 'x-repo-commit': COMMIT, 'x-linked-etag': `"${'0'.repeat(64)}"` }],
    ['another commit', { 'x-repo-commit': 'd'.repeat(40), 'x-linked-etag': `"${file.sha256}"` }],
    ['no etag', { 'x-repo-commit': COMMIT }],
  ])('does not use an origin that reports %s', async (_what, head) => {
    await setup({ heads: { [HUB2]: head } });
    await pullAll();
    expect(gets(HUB2)).toHaveLength(0);
    expect(gets(HUB)).toHaveLength(4);
  });

  it('a source failing mid-chunk loses its share: the chunk resumes from the other at the next byte', async () => {
    await setup({
      ranged: (origin, range) => {
        const answer = rangeAnswer(bytes, range);
        if (origin !== HUB2) return answer;
        // HUB2 sends 5 bytes of whatever it is asked, then the connection breaks.
        return { ...answer, body: brokenBody((answer.body as Buffer).subarray(0, 5)) };
      },
    });
    await pullAll();
    expect(await core.ledger.isVerified(plan.key)).toBe(true);
    const failed = gets(HUB2);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    // Every range HUB2 broke off was resumed on HUB 5 bytes further on.
    for (const r of failed) {
      const [, start, end] = /bytes=(\d+)-(\d+)/.exec(r.headers!.range!)!.map(Number);
      expect(gets(HUB).map((h) => h.headers?.range)).toContain(`bytes=${start + 5}-${end}`);
    }
    expect(core.router.health()[1]).toEqual(expect.objectContaining({ origin: HUB2, up: false }));
    expect(core.puller.stats.bytesBySource[HUB2]).toBe(5 * failed.length);
  });

  it("a source out of work takes over the far end of a slow source's piece (work stealing)", async () => {
    await setup({
      stealMinBytes: 2,
      ranged: async (origin, range) => {
        const answer = rangeAnswer(bytes, range);
        if (origin !== HUB2) return answer;
        // HUB2 sends one byte, then waits before the rest: slow.
        const body = answer.body as Buffer;
        return {
          ...answer,
          body: Readable.from(
            (async function* () {
              yield body.subarray(0, 1);
              await new Promise((r) => setTimeout(r, 100));
              yield body.subarray(1);
            })(),
          ),
        };
      },
    });
    await core.puller.pull(plan, 0, { file }).done;
    const hubRanges = gets(HUB).map((r) => r.headers?.range);
    // HUB did its half (0-7), then took the end of HUB2's (8-15) and HUB2 stopped where it began.
    expect(hubRanges[0]).toBe('bytes=0-7');
    expect(hubRanges[1]).toMatch(/^bytes=(9|1[0-4])-15$/);
    const chunk = await core.store.read({ blob: plan.key, index: 0 });
    const parts: Buffer[] = [];
    for await (const p of chunk as AsyncIterable<Buffer>) parts.push(p);
    expect(Buffer.concat(parts)).toEqual(bytes.subarray(0, 16));
  });

  it('shares follow measured throughput (pieces of a chunk, and where the rest of a failed piece goes)', async () => {
    await setup();
    const book = core.router.book;
    const slow = { id: 'slow' } as BlobSource;
    const fast = { id: 'fast' } as BlobSource;
    book.get('slow').throughputBps = 1_000;
    book.get('fast').throughputBps = 3_000;
    const picks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const s = core.sources!.pick([slow, fast], 100, new Set())!;
      core.sources!.claim(s.id, 100);
      picks.push(s.id);
    }
    expect(picks.filter((p) => p === 'fast')).toHaveLength(6);
    // A chunk is cut by throughput, the fastest taking the head.
    expect(core.sources!.split([slow, fast], 400)).toEqual([
      { from: 0, to: 300, source: fast },
      { from: 300, to: 400, source: slow },
    ]);
    // A source in trouble gets nothing; one to avoid neither.
    book.troubled('fast', '5xx');
    expect(core.sources!.pick([slow, fast], 100, new Set())!.id).toBe('slow');
    expect(core.sources!.pick([slow, fast], 100, new Set(['slow']))).toBeUndefined();
  });

  it('an extra (non-hub) source joins the pull of a blob it confirms, by sha256', async () => {
    await setup({ heads: { [HUB2]: { 'x-repo-commit': 'e'.repeat(40) } } });
    const served: string[] = [];
    core.sources!.addSource({
      id: 'extra:modelscope',
      sameBlob: async (s) => s.file.sha256 === file.sha256,
      open: async (_s, start, end) => {
        served.push(`${start}-${end}`);
        return Readable.from([bytes.subarray(start, end + 1)]);
      },
    });
    await pullAll();
    expect(served.length).toBeGreaterThan(0);
    expect(gets(HUB2)).toHaveLength(0);
    expect(served.length).toBe(4);
    expect(gets(HUB)).toHaveLength(4);
    expect(await core.ledger.isVerified(plan.key)).toBe(true);
  });

  it('after a blob failed verification it is pulled from one source only', async () => {
    await setup({
      ranged: (origin, range) => {
        const answer = rangeAnswer(bytes, range);
        if (origin !== HUB2) return answer;
        const lie = Buffer.from(answer.body as Buffer);
        lie[0] ^= 0xff; // a lying mirror: right headers, wrong bytes
        return { ...answer, body: lie };
      },
    });
    await pullAll();
    expect(await core.ledger.isVerified(plan.key)).toBe(false);
    expect(core.verifier.failures).toBe(1);
    core.upstream.requests.length = 0;
    await pullAll();
    expect(gets(HUB2)).toHaveLength(0);
    expect(await core.ledger.isVerified(plan.key)).toBe(true);
  });
});
