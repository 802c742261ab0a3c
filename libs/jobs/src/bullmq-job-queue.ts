import { Job, JobsOptions, Queue, RedisOptions, Worker } from 'bullmq';
import { JobHandler, JobOptions, JobQueue } from './job-queue';

export interface BullMqJobQueueOptions<T> {
  /** ioredis options, or a `redis://` URL. */
  connection: RedisOptions | string;
  /** Namespaces every key of the queue (BullMQ's default is `bull`). */
  prefix?: string;
  /** Tries per job before it counts as failed (default 5). */
  attempts?: number;
  /** First retry delay; doubles on each further try (default 500 ms). */
  backoffMs?: number;
  /** Failed jobs kept for inspection, newest first (default 1000). */
  keepFailed?: number;
  /** On close, how long running jobs may take to finish before the worker stops anyway (5 s). */
  closeGraceMs?: number;
  /** Told about every failed attempt and about connection errors (`data` is then undefined). */
  onError?: (err: unknown, data: T | undefined) => void;
}

/**
 * A JobQueue on BullMQ (Redis), shared by every gateway and sync-worker of a deployment.
 *
 * Job data is stored in Redis as JSON, so `T` must survive JSON.stringify/parse: plain objects,
 * strings, finite numbers, booleans, arrays, null. No Buffers, Dates, Maps, class instances or
 * `undefined` members. Anything in it (including credentials) is at rest in Redis until the job
 * completes, or longer for failed jobs (see keepFailed).
 */
export class BullMqJobQueue<T> implements JobQueue<T> {
  private readonly queue: Queue;
  private worker?: Worker;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly options: BullMqJobQueueOptions<T>,
  ) {
    this.queue = new Queue(name, { connection: this.connection(), prefix: options.prefix });
    this.queue.on('error', (err) => options.onError?.(err, undefined));
  }

  async add(data: T, opts: JobOptions = {}): Promise<void> {
    if (this.closed) return;
    await this.queue.add(this.name, data, this.jobOptions(opts));
  }

  async depth(): Promise<{ waiting: number; active: number }> {
    const c = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), active: c.active ?? 0 };
  }

  process(handler: JobHandler<T>, concurrency: number): void {
    if (this.worker) throw new Error(`Queue ${this.name} already has a worker`);
    this.worker = new Worker(
      this.name,
      (job: Job<T>) => handler(job.data, { progress: (p) => job.updateProgress(p) }),
      {
        connection: this.connection(),
        prefix: this.options.prefix,
        concurrency,
      },
    );
    this.worker.on('failed', (job, err) => this.options.onError?.(err, job?.data));
    this.worker.on('error', (err) => this.options.onError?.(err, undefined));
  }

  /**
   * Lets running jobs finish within `closeGraceMs`; waiting jobs stay in Redis for the next worker.
   * Past the grace (a whole snapshot can take minutes) the worker closes anyway: the jobs it still
   * runs become stalled and another worker takes them over (pulls resume, chunks land once).
   */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker) {
      let timer: NodeJS.Timeout | undefined;
      const graceful = worker.close().then(() => true);
      const expired = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.options.closeGraceMs ?? 5_000);
      });
      const finished = await Promise.race([graceful, expired]);
      clearTimeout(timer);
      if (!finished) await worker.close(true);
    }
    await this.queue.close();
  }

  private jobOptions(opts: JobOptions): JobsOptions {
    return {
      // BullMQ runs jobs without a priority before all prioritized ones; give every job one so
      // "no priority" means the middle, as in the in-process queue.
      priority: opts.priority ?? 5,
      // Deduplication (rather than a custom jobId) frees the id when the job completes *or fails*:
      // a kept failed job with a custom jobId would block that chunk's read-ahead until evicted.
      // Its key is only a Redis key suffix, so ':' and '#' in ids are fine.
      deduplication: opts.jobId === undefined ? undefined : { id: opts.jobId },
      attempts: this.options.attempts ?? 5,
      backoff: { type: 'exponential', delay: this.options.backoffMs ?? 500 },
      removeOnComplete: true,
      removeOnFail: { count: this.options.keepFailed ?? 1000 },
    };
  }

  private connection(): RedisOptions {
    const c = this.options.connection;
    return typeof c === 'string' ? { url: c } : { ...c };
  }
}
