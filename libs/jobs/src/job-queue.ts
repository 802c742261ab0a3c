export interface JobOptions {
  /** Lower runs sooner (BullMQ's convention). A user waiting on bytes uses PRIORITY.interactive. */
  priority?: number;
  /** Jobs with the same id are deduplicated while one is queued or running. */
  jobId?: string;
}

export const PRIORITY = { interactive: 1, readAhead: 5, prefetch: 10 } as const;

export interface JobContext {
  /** Reports progress, 0–100 (BullMQ stores it on the job; in-process it is only observable). */
  progress(percent: number): Promise<void>;
}

export type JobHandler<T> = (data: T, ctx: JobContext) => Promise<void>;

/** A named queue of jobs: in-process (embedded) or BullMQ on Redis (distributed). */
export interface JobQueue<T> {
  add(data: T, opts?: JobOptions): Promise<void>;
  process(handler: JobHandler<T>, concurrency: number): void;
  /** Jobs waiting and running now, across every process sharing the queue (its backlog). */
  depth(): Promise<{ waiting: number; active: number }>;
  close(): Promise<void>;
}
