import { createHash } from 'node:crypto';
import { GrowingFile } from '@dingo/concurrency';
import { BlobPlan, chunkBounds } from '../blobs/blob-plan';
import { BlockDigester, blockSizeFor } from '../blobs/block-digests';

/** A chunk a peer offers: its body, and the sha256 it must hash to (from a trusted source, never the peer). */
export interface PeerOffer {
  peer: string;
  /** Hex sha256 of the whole chunk, as the gateway (the trust anchor) computed it. */
  sha256: string;
  body: AsyncIterable<Buffer>;
  /** Stops the body (the chunk was rejected, or the puller is shutting down). */
  cancel(): void;
}

export interface PeerStats {
  peerBytes: number;
  peerChunks: number;
  /** Chunks a peer served that did not hash to the trusted sha256 (the peer is dropped for a while). */
  peerRejections: number;
  /** Peers that failed mid-transfer (the chunk then came from another peer or the gateway). */
  peerFailures: number;
}

/**
 * Other nodes that may hold a chunk (an edge's LAN peers). The puller asks them before upstream;
 * whatever they send is checked against the trusted sha256 before any byte reaches a reader.
 */
export interface ChunkPeers {
  /** An offer of the chunk from a peer not in `exclude`, or undefined (no peer has it, or no trusted hash). */
  offer(
    plan: BlobPlan,
    index: number,
    exclude: ReadonlySet<string>,
    signal: AbortSignal,
  ): Promise<PeerOffer | undefined>;
  /** The peer served bytes that are not the chunk: skip it. */
  rejected(peer: string, why: string): void;
  /** The peer went away mid-transfer: skip it for a while. */
  failed(peer: string, err: Error): void;
}

/**
 * Fills a staging file with a chunk from peers. Bytes are written but the file is not advanced
 * (readers see nothing) until the whole chunk hashed to the trusted sha256; then it is advanced at
 * once and its block digests returned. Returns undefined (file untouched as readers see it) when
 * no peer delivered a good copy: the caller pulls from upstream as usual.
 */
export async function fillFromPeers(
  peers: ChunkPeers,
  plan: BlobPlan,
  index: number,
  file: GrowingFile,
  write: (data: Buffer, position: number) => Promise<void>,
  stats: PeerStats,
  signal: AbortSignal,
  maxPeers = 3,
): Promise<{ blockSize: number; blockDigests: string } | undefined> {
  const { size } = chunkBounds(plan, index);
  const tried = new Set<string>();
  while (tried.size < maxPeers && !signal.aborted) {
    let offer: PeerOffer | undefined;
    try {
      offer = await peers.offer(plan, index, tried, signal);
    } catch {
      return undefined;
    }
    if (!offer) return undefined;
    tried.add(offer.peer);
    const hash = createHash('sha256');
    const digester = new BlockDigester(blockSizeFor(plan.chunkSize));
    let got = 0;
    try {
      for await (const part of offer.body) {
        if (got + part.length > size) {
          got += part.length;
          break;
        }
        await write(part, got);
        hash.update(part);
        digester.update(part);
        got += part.length;
      }
    } catch (err) {
      offer.cancel();
      stats.peerFailures++;
      peers.failed(offer.peer, err as Error);
      continue;
    }
    const sha = hash.digest('hex');
    if (got !== size || sha !== offer.sha256) {
      offer.cancel();
      stats.peerRejections++;
      peers.rejected(
        offer.peer,
        got !== size ? `sent ${got} bytes of a ${size}-byte chunk` : `chunk hashed to ${sha}`,
      );
      continue;
    }
    stats.peerBytes += size;
    stats.peerChunks++;
    file.advance(size);
    return { blockSize: digester.blockSize, blockDigests: digester.finish() };
  }
  return undefined;
}
