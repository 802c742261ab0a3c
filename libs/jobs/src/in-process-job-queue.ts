import { JobHandler, JobOptions, JobQueue } from './job-queue';

interface Pending<T> {
  data: T;
  priority: number;
  seq: number;
  jobId?: string;
}

/** Priority queue with bounded concurrency and job-id dedup, inside this process. */
export class InProcessJobQueue<T> implements JobQueue<T> {
  private readonly pending: Pending<T>[] = [];
  private readonly activeIds = new Set<string>();
  private handler?: JobHandler<T>;
  private concurrency = 1;
  private running = 0;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly onError: (err: unknown, data: T) => void = () => undefined,
    private readonly onProgress?: (data: T, percent: number) => void,
  ) {}

  async add(data: T, opts: JobOptions = {}): Promise<void> {
    if (this.closed) return;
    if (opts.jobId !== undefined) {
      if (this.activeIds.has(opts.jobId)) return;
      this.activeIds.add(opts.jobId);
    }
    this.pending.push({ data, priority: opts.priority ?? 5, seq: this.seq++, jobId: opts.jobId });
    this.pending.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.pump();
  }

  process(handler: JobHandler<T>, concurrency: number): void {
    this.handler = handler;
    this.concurrency = concurrency;
    this.pump();
  }

  get size(): { waiting: number; running: number } {
    return { waiting: this.pending.length, running: this.running };
  }

  async depth(): Promise<{ waiting: number; active: number }> {
    return { waiting: this.pending.length, active: this.running };
  }

  private pump(): void {
    while (this.handler && !this.closed && this.running < this.concurrency && this.pending.length) {
      const job = this.pending.shift()!;
      this.running++;
      this.handler(job.data, { progress: async (percent) => void this.onProgress?.(job.data, percent) })
        .catch((err) => this.onError(err, job.data))
        .finally(() => {
          this.running--;
          if (job.jobId !== undefined) this.activeIds.delete(job.jobId);
          this.pump();
        });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pending.length = 0;
  }
}
