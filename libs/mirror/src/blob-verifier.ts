import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { SingleFlight } from '@dingo/concurrency';
import { ChunkStore } from '@dingo/chunk-store';
import { MetadataPort } from '@dingo/metadata-store';
import { BlobPlan, chunkCount } from './blob-plan';

/**
 * Marks a blob complete only once its bytes hash to its name: sha256 for LFS blobs, the git blob
 * id (sha1 over `blob <size>\0` + content) for regular files. A blob that fails is purged so the
 * next request pulls it again; corrupt bytes are never kept.
 */
export class BlobVerifier {
  private readonly log = new Logger(BlobVerifier.name);
  private readonly flights = new SingleFlight<boolean>();
  failures = 0;

  constructor(
    private readonly store: ChunkStore,
    private readonly meta: MetadataPort,
  ) {}

  /** Verifies when every chunk is stored; resolves to true when the blob is (now) verified. */
  verifyIfComplete(plan: BlobPlan): Promise<boolean> {
    return this.flights.run(plan.key, async () => {
      const blob = await this.meta.getBlob(plan.key);
      if (blob?.state === 'verified') return true;
      const chunks = await this.meta.listChunks(plan.key);
      if (chunks.length < chunkCount(plan)) return false;
      const ok = await this.hashMatches(plan);
      if (ok) {
        await this.meta.setBlobState(plan.key, 'verified');
        return true;
      }
      this.log.error(`blob ${plan.key} failed verification; purging its ${chunks.length} chunks`);
      await this.purge(plan);
      await this.meta.setBlobState(plan.key, 'corrupt');
      this.failures++;
      return false;
    });
  }

  /** Waits for verifications in progress (shutdown). */
  idle(): Promise<void> {
    return this.flights.settled();
  }

  async purge(plan: BlobPlan): Promise<void> {
    for (let index = 0; index < chunkCount(plan); index++) {
      await this.store.delete({ blob: plan.key, index });
      await this.meta.deleteChunk(plan.key, index);
    }
  }

  private async hashMatches(plan: BlobPlan): Promise<boolean> {
    const [algo, expected] = plan.key.split('-');
    const hash = createHash(algo === 'sha256' ? 'sha256' : 'sha1');
    if (algo === 'gitsha1') hash.update(`blob ${plan.size}\0`);
    let total = 0;
    try {
      for (let index = 0; index < chunkCount(plan); index++) {
        for await (const part of await this.store.read({ blob: plan.key, index })) {
          hash.update(part as Buffer);
          total += (part as Buffer).length;
        }
      }
    } catch (err) {
      this.log.warn(`blob ${plan.key}: cannot read back for verification: ${(err as Error).message}`);
      return false;
    }
    return total === plan.size && hash.digest('hex') === expected;
  }
}
