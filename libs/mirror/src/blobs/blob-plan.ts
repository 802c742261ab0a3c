import { BlobKey } from '@dingo/chunk-store';

/** How a blob is cut into chunks. The chunk size is fixed per blob when it is first pulled. */
export interface BlobPlan {
  key: BlobKey;
  size: number;
  chunkSize: number;
}

export function chunkCount(plan: BlobPlan): number {
  return Math.max(1, Math.ceil(plan.size / plan.chunkSize));
}

/** Inclusive byte range of chunk `index` within the blob. */
export function chunkBounds(plan: BlobPlan, index: number): { start: number; end: number; size: number } {
  const start = index * plan.chunkSize;
  const end = Math.min(plan.size, start + plan.chunkSize) - 1;
  return { start, end, size: end - start + 1 };
}
