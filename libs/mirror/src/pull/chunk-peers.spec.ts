import { createHash } from 'node:crypto';
import { BlobPlan } from '../blobs/blob-plan';
import { dataPathCore, lfsFile, readAll } from '../testing/unit-harness';
import { ChunkPeers, PeerOffer } from './chunk-peers';

/** A scripted set of peers: each offer is taken in turn; what the puller says of them is recorded. */
function scriptedPeers(offers: Array<(exclude: ReadonlySet<string>) => PeerOffer | undefined>) {
  const log: string[] = [];
  const peers: ChunkPeers = {
    offer: async (_plan, _index, exclude) => offers.shift()?.(exclude),
    rejected: (peer, why) => void log.push(`rejected ${peer}: ${why}`),
    failed: (peer, err) => void log.push(`failed ${peer}: ${err.message}`),
  };
  return { peers, log };
}

function offer(peer: string, sha256: string, parts: Buffer[], breakAfter?: number): PeerOffer {
  return {
    peer,
    sha256,
    body: (async function* () {
      for (const [i, part] of parts.entries()) {
        if (breakAfter !== undefined && i >= breakAfter) throw new Error('socket hang up');
        yield part;
      }
    })(),
    cancel: () => undefined,
  };
}

describe('ChunkPuller with LAN peers', () => {
  // 40 bytes in chunks of 16: chunk 1 is bytes 16..31.
  const { bytes, file } = lfsFile(40);
  const chunk1 = bytes.subarray(16, 32);
  const sha1 = createHash('sha256').update(chunk1).digest('hex');
  let core: ReturnType<typeof dataPathCore>;
  let plan: BlobPlan;

  beforeEach(async () => {
    core = dataPathCore({ chunkSize: 16 });
    plan = await core.ledger.plan(file);
    core.serve(bytes);
  });
  afterEach(() => core.close());

  it('takes a chunk from a peer when it hashes to the trusted sha256: nothing from upstream', async () => {
    const { peers, log } = scriptedPeers([
      () => offer('http://a', sha1, [chunk1.subarray(0, 5), chunk1.subarray(5)]),
    ]);
    core.puller.peers = peers;
    const download = core.puller.pull(plan, 1, { file });
    const read = readAll(download.file.createReader(0, 15));
    await download.done;
    expect(await read).toEqual(chunk1);
    expect(core.upstream.requests).toHaveLength(0);
    expect(core.store.bytes({ blob: file.blobKey, index: 1 })).toEqual(chunk1);
    expect((await core.meta.getChunk(file.blobKey, 1))?.blockDigests).toMatch(/^[0-9a-f]{16}$/);
    expect(core.puller.peerStats).toEqual({
      peerBytes: 16,
      peerChunks: 1,
      peerRejections: 0,
      peerFailures: 0,
    });
    expect(log).toEqual([]);
  });

  it('rejects a peer whose bytes are not the chunk, tries the next, and readers never see the bad bytes', async () => {
    const wrong = Buffer.from(chunk1).fill(7);
    const { peers, log } = scriptedPeers([
      () => offer('http://liar', sha1, [wrong]),
      (exclude) => (exclude.has('http://liar') ? offer('http://good', sha1, [chunk1]) : undefined),
    ]);
    core.puller.peers = peers;
    const download = core.puller.pull(plan, 1, { file });
    const read = readAll(download.file.createReader(0, 15));
    await download.done;
    expect(await read).toEqual(chunk1);
    expect(log).toEqual([expect.stringMatching(/^rejected http:\/\/liar: chunk hashed to [0-9a-f]{64}$/)]);
    expect(core.puller.peerStats).toMatchObject({ peerRejections: 1, peerChunks: 1 });
    expect(core.upstream.requests).toHaveLength(0);
  });

  it('a peer that breaks off mid-chunk, or sends too much, leaves the chunk to upstream', async () => {
    const { peers, log } = scriptedPeers([
      () => offer('http://dies', sha1, [chunk1.subarray(0, 8), chunk1.subarray(8)], 1),
      () => offer('http://long', sha1, [chunk1, Buffer.from('extra')]),
      () => undefined,
    ]);
    core.puller.peers = peers;
    const download = core.puller.pull(plan, 1, { file });
    const read = readAll(download.file.createReader(0, 15));
    await download.done;
    expect(await read).toEqual(chunk1);
    expect(log).toEqual([
      'failed http://dies: socket hang up',
      'rejected http://long: sent 21 bytes of a 16-byte chunk',
    ]);
    expect(core.upstream.requests.map((r) => r.headers?.range)).toEqual(['bytes=16-31']);
    expect(core.puller.stats.upstreamBytes).toBe(16);
    expect(core.puller.peerStats).toEqual({
      peerBytes: 0,
      peerChunks: 0,
      peerRejections: 1,
      peerFailures: 1,
    });
  });
});
