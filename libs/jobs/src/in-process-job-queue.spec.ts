import { InProcessJobQueue } from './in-process-job-queue';
import { jobQueueContract } from './job-queue.contract';

jobQueueContract('in-process', { create: async () => new InProcessJobQueue() });

describe('InProcessJobQueue', () => {
  it('reports a failed job to onError and forgets waiting jobs on close', async () => {
    const failures: unknown[] = [];
    const q = new InProcessJobQueue<string>((err, data) => failures.push([(err as Error).message, data]));
    await q.add('boom');
    await q.add('never');
    let release!: () => void;
    q.process(async (d) => {
      if (d === 'boom') await new Promise<void>((r) => (release = r));
      throw new Error(`failed ${d}`);
    }, 1);
    expect(q.size).toEqual({ waiting: 1, running: 1 });
    await q.close();
    expect(q.size.waiting).toBe(0);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(failures).toEqual([['failed boom', 'boom']]);
  });
});
