import { JobHandler } from '@dingo/jobs';
import { BlobLedger } from '../blobs/blob-ledger';
import { BlobPlan } from '../blobs/blob-plan';
import { FileSource } from '../files/located-file';
import { ChunkPuller } from './chunk-puller';

/** The queue of chunk pulls ahead of readers (gateways produce, sync-workers or the embedded gateway consume). */
export const PULL_CHUNK_QUEUE = 'pull-chunk';

/** Pull one chunk of a blob into the store (read-ahead for a client streaming the blob). */
export interface PullChunkJob {
  plan: BlobPlan;
  index: number;
  source: FileSource;
}

/** Pulls the chunk unless it is already stored; idempotent, so a retried job costs nothing. */
export function pullChunkHandler(puller: ChunkPuller, ledger: BlobLedger): JobHandler<PullChunkJob> {
  return async ({ plan, index, source }) => {
    if (await ledger.stored({ blob: plan.key, index })) return;
    await puller.pull(plan, index, source).done;
  };
}
