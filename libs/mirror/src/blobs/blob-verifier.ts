import { createHash, Hash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { SingleFlight } from '@dingo/concurrency';
import { ChunkStore } from '@dingo/chunk-store';
import { ChunkRecord } from '@dingo/metadata-store';
import { BlockMismatchError, readCheckedChunk } from '../read/block-checked-stream';
import { BlobLedger } from './blob-ledger';
import { BlobPlan, chunkCount } from './blob-plan';
import { BlockDigester, blockSizeFor } from './block-digests';

/** The in-order hash of a blob being pulled: chunk `next` is the first not yet hashed. */
interface PrefixHash {
  hash: Hash;
  next: number;
  /** Serializes hashing steps of one blob. */
  busy: Promise<void>;
  /** Set when the final check took over the hash: later steps must not touch it. */
  taken: boolean;
}

export type Verdict = 'verified' | 'corrupt' | 'incomplete';

/**
 * Marks a blob verified only once its bytes hash to its name: sha256 for LFS blobs, the git blob id
 * (sha1 over `blob <size>\0` + content) for regular files. A blob that fails is purged so the next
 * request pulls it again; corrupt bytes are never kept. While a blob is pulled, the chunks that
 * landed in order are hashed as they land, so the final check only reads what is left.
 */
export class BlobVerifier {
  private readonly log = new Logger(BlobVerifier.name);
  private readonly flights = new SingleFlight<Verdict>();
  private readonly prefixes = new LRUCache<string, PrefixHash>({ max: 256 });
  failures = 0;

  constructor(
    private readonly ledger: BlobLedger,
    private readonly store: ChunkStore,
    /** Told of a blob that did not hash to its name (its chunks are purged). */
    private readonly onCorrupt?: (plan: BlobPlan) => void,
  ) {}

  /**
   * A chunk of the blob was stored by this process: extend the in-order hash over the chunks now
   * stored from its front, and verify the blob once the hash reached its end. Constant metadata
   * work per chunk (a look at the chunk at the front, not a count of the blob's chunks): a blob of
   * 4096 chunks must not read its chunk list 4096 times. The hash also starts when an earlier pull
   * left the first chunks stored, or when a cluster peer pulls them.
   */
  chunkStored(plan: BlobPlan): void {
    let prefix = this.prefixes.get(plan.key);
    if (!prefix) {
      prefix = { hash: hashFor(plan), next: 0, busy: Promise.resolve(), taken: false };
      this.prefixes.set(plan.key, prefix);
    }
    const total = chunkCount(plan);
    const p = prefix;
    p.busy = p.busy.then(() => this.extend(plan, p));
    // Outside the `busy` chain: the final check waits for it.
    const step = p.busy.then(() => (p.next === total ? this.verifyIfComplete(plan) : undefined));
    step.catch((err) => {
      this.prefixes.delete(plan.key);
      this.log.warn(`verification of ${plan.key} did not run: ${(err as Error).message}`);
    });
  }

  /** Verifies when every chunk is stored (`incomplete` otherwise); single-flight per blob. */
  verifyIfComplete(plan: BlobPlan): Promise<Verdict> {
    return this.flights.run(plan.key, async () => {
      if (await this.ledger.isVerified(plan.key)) return 'verified';
      if ((await this.ledger.count(plan.key)) < chunkCount(plan)) return 'incomplete';
      const verdict = await this.check(plan);
      if (verdict === 'verified') {
        await this.ledger.setState(plan.key, 'verified');
      } else if (verdict === 'corrupt') {
        this.log.error(`blob ${plan.key} does not hash to its name; purging its chunks`);
        await this.purge(plan);
        await this.ledger.setState(plan.key, 'corrupt');
        this.failures++;
        this.onCorrupt?.(plan);
      }
      return verdict;
    });
  }

  /** Waits for verifications in progress (shutdown). */
  idle(): Promise<void> {
    return this.flights.settled();
  }

  private async purge(plan: BlobPlan): Promise<void> {
    for (let index = 0; index < chunkCount(plan); index++) {
      await this.ledger.drop({ blob: plan.key, index }, 'its blob failed verification');
    }
  }

  private async extend(plan: BlobPlan, prefix: PrefixHash): Promise<void> {
    while (!prefix.taken && prefix.next < chunkCount(plan)) {
      const record = await this.ledger.stored({ blob: plan.key, index: prefix.next });
      if (!record) return;
      await this.hashChunk(record, prefix.hash);
      prefix.next++;
    }
  }

  /** Hashes the blob, continuing from its in-order prefix when there is one. */
  private async check(plan: BlobPlan): Promise<Verdict> {
    const prefix = this.prefixes.get(plan.key);
    this.prefixes.delete(plan.key);
    if (prefix) prefix.taken = true;
    const usable =
      prefix !== undefined &&
      (await prefix.busy.then(
        () => true,
        () => false,
      ));
    const hash = usable ? prefix.hash : hashFor(plan);
    for (let index = usable ? prefix.next : 0; index < chunkCount(plan); index++) {
      const record = await this.ledger.stored({ blob: plan.key, index });
      if (!record) return 'incomplete';
      try {
        await this.hashChunk(record, hash);
      } catch (err) {
        if (!(err instanceof BlockMismatchError)) throw err;
        // Rotted since it was stored: not upstream's fault; pull that chunk again.
        await this.ledger.drop({ blob: plan.key, index }, err.message);
        return 'incomplete';
      }
    }
    return hash.digest('hex') === plan.key.slice(plan.key.indexOf('-') + 1) ? 'verified' : 'corrupt';
  }

  /**
   * Feeds a stored chunk to the blob hash, through its block checks. A chunk stored before block
   * digests existed gets them now: if the blob then fails, it is purged, digests and all.
   */
  private async hashChunk(record: ChunkRecord, hash: Hash): Promise<void> {
    if (record.blockDigests) {
      for await (const part of await readCheckedChunk(this.store, record, 0, record.size - 1))
        hash.update(part as Buffer);
      return;
    }
    const digester = new BlockDigester(blockSizeFor(record.size));
    for await (const part of await this.store.read({ blob: record.blobKey, index: record.index })) {
      hash.update(part as Buffer);
      digester.update(part as Buffer);
    }
    await this.ledger.record({ ...record, blockSize: digester.blockSize, blockDigests: digester.finish() });
  }
}

function hashFor(plan: BlobPlan): Hash {
  const gitBlob = plan.key.startsWith('gitsha1-');
  const hash = createHash(gitBlob ? 'sha1' : 'sha256');
  if (gitBlob) hash.update(`blob ${plan.size}\0`);
  return hash;
}
