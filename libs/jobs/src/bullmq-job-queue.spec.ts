import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { BullMqJobQueue, BullMqJobQueueOptions } from './bullmq-job-queue';
import { jobQueueContract } from './job-queue.contract';

const REDIS_URL = 'redis://127.0.0.1:6379';
// Every run gets its own key prefix, removed afterwards, so runs never see each other's jobs.
const prefix = `dingo-test-${randomUUID()}`;
const queueName = () => `q-${randomUUID().slice(0, 8)}`;

async function removeTestKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
      if ((keys as string[]).length) await redis.del(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
}

jobQueueContract('BullMQ', {
  // One attempt: the contract's "failed for good" should not wait through retries.
  create: async () => new BullMqJobQueue(queueName(), { connection: REDIS_URL, prefix, attempts: 1 }),
  cleanup: removeTestKeys,
});

describe('BullMqJobQueue', () => {
  const open: BullMqJobQueue<unknown>[] = [];
  function queue<T>(name: string, extra: Partial<BullMqJobQueueOptions<T>> = {}) {
    const q = new BullMqJobQueue<T>(name, {
      connection: { host: '127.0.0.1', port: 6379 },
      prefix,
      ...extra,
    });
    open.push(q as BullMqJobQueue<unknown>);
    return q;
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
  });
  afterAll(removeTestKeys);

  it('retries a failed attempt after a backoff, keeping its id taken meanwhile', async () => {
    const errors: unknown[] = [];
    const q = queue<{ n: number }>(queueName(), {
      onError: (err, data) => errors.push([(err as Error).message, data]),
    });
    const attempts: number[] = [];
    const done = new Promise<void>((resolve) =>
      q.process(async (d) => {
        attempts.push(Date.now());
        if (d.n !== 1) throw new Error('the twin ran');
        if (attempts.length === 1) throw new Error('flaky upstream');
        resolve();
      }, 1),
    );
    await q.add({ n: 1 }, { jobId: 'sha256-y#7' });
    await waitFor(() => errors.length === 1);
    await q.add({ n: 2 }, { jobId: 'sha256-y#7' }); // during the backoff: dropped
    await done;
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toHaveLength(2);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(450); // 500 ms first backoff
    expect(errors).toEqual([['flaky upstream', { n: 1 }]]);
  });

  it('lets a producer in one process feed a worker in another (same name and prefix)', async () => {
    const name = queueName();
    const producer = queue<string>(name);
    const consumer = queue<string>(name);
    const seen: string[] = [];
    consumer.process(async (d) => void seen.push(d), 2);
    await producer.add('from the gateway', { jobId: 'sha256-x#0' });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['from the gateway']);
  });

  it('on close lets the running job finish and keeps waiting jobs for the next worker', async () => {
    const name = queueName();
    const first = queue<string>(name);
    const ran: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    first.process(async (d) => {
      started();
      await new Promise((r) => setTimeout(r, 100));
      ran.push(d);
    }, 1);
    await first.add('running');
    await running;
    await first.add('waiting');
    await first.close();
    expect(ran).toEqual(['running']);

    const next = queue<string>(name);
    next.process(async (d) => void ran.push(d), 1);
    await waitFor(() => ran.length === 2);
    expect(ran).toEqual(['running', 'waiting']);
  });
});

async function waitFor(predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
