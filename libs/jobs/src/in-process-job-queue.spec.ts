import { InProcessJobQueue } from './in-process-job-queue';

describe('InProcessJobQueue', () => {
  it('runs by priority, bounded by concurrency, deduplicating job ids', async () => {
    const q = new InProcessJobQueue<string>();
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    await q.add('low', { priority: 10 });
    await q.add('high', { priority: 1 });
    await q.add('dup', { priority: 5, jobId: 'x' });
    await q.add('dup-again', { priority: 5, jobId: 'x' });
    const done = new Promise<void>((resolve) => {
      q.process(async (d) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 5));
        order.push(d);
        active--;
        if (order.length === 3) resolve();
      }, 1);
    });
    await done;
    expect(order).toEqual(['high', 'dup', 'low']);
    expect(maxActive).toBe(1);
  });
});
