import { JobQueue } from './job-queue';

export interface JobQueueFixture {
  /** A fresh, empty queue of its own (a new name or instance per call). */
  create<T>(): Promise<JobQueue<T>>;
  /** Releases what the fixture holds once the suite is done. */
  cleanup?(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `predicate` holds, polling; fails the test with `what` after `ms`. */
async function until(predicate: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * The behaviour every JobQueue backend must share; each backend's spec runs it. Handlers get
 * plain JSON data: a durable backend stores it, so data must survive JSON.stringify/parse.
 * A job whose handler throws is not part of the contract beyond "its id is free again": the
 * in-process queue gives up at once, BullMQ retries first.
 */
export function jobQueueContract(name: string, fixture: JobQueueFixture) {
  describe(`JobQueue contract: ${name}`, () => {
    const open: JobQueue<unknown>[] = [];
    async function create<T>(): Promise<JobQueue<T>> {
      const q = await fixture.create<T>();
      open.push(q as JobQueue<unknown>);
      return q;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((q) => q.close()));
    });
    afterAll(async () => fixture.cleanup?.());

    it('reports its depth: jobs waiting, and running', async () => {
      const q = await create<{ n: number }>();
      expect(await q.depth()).toEqual({ waiting: 0, active: 0 });
      await q.add({ n: 1 });
      await q.add({ n: 2 });
      expect((await q.depth()).waiting).toBe(2);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      q.process(async () => gate, 1);
      let depth = await q.depth();
      for (let i = 0; i < 200 && depth.active !== 1; i++) {
        await sleep(10);
        depth = await q.depth();
      }
      expect(depth).toEqual({ waiting: 1, active: 1 });
      release();
    });

    it('runs waiting jobs lowest priority number first, FIFO within a priority', async () => {
      const q = await create<{ name: string }>();
      await q.add({ name: 'low' }, { priority: 10 });
      await q.add({ name: 'high-1' }, { priority: 1 });
      await q.add({ name: 'default' });
      await q.add({ name: 'high-2' }, { priority: 1 });
      const order: string[] = [];
      q.process(async (d) => void order.push(d.name), 1);
      await until(() => order.length === 4, 'four jobs');
      expect(order).toEqual(['high-1', 'high-2', 'default', 'low']);
    });

    it('never runs more handlers at once than the concurrency', async () => {
      const q = await create<number>();
      for (let i = 0; i < 8; i++) await q.add(i);
      let active = 0;
      let maxActive = 0;
      let done = 0;
      q.process(async () => {
        maxActive = Math.max(maxActive, ++active);
        await sleep(30);
        active--;
        done++;
      }, 3);
      await until(() => done === 8, 'eight jobs');
      expect(maxActive).toBe(3);
    });

    it('hands the handler the data it was given (plain JSON)', async () => {
      const q = await create<{
        plan: { key: string; size: number };
        index: number;
        auth?: string;
        list: number[];
      }>();
      const data = { plan: { key: `sha256-${'a'.repeat(64)}`, size: 5_000_000_000 }, index: 3, list: [1, 2] };
      const seen: unknown[] = [];
      q.process(async (d) => void seen.push(d), 1);
      await q.add(data);
      await until(() => seen.length === 1, 'the job');
      expect(seen[0]).toEqual(data);
    });

    it('drops a job whose id is already waiting or running', async () => {
      const q = await create<string>();
      await q.add('first', { jobId: 'blob#1' });
      await q.add('queued twin', { jobId: 'blob#1' });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const ran: string[] = [];
      q.process(async (d) => {
        ran.push(d);
        if (d === 'first') await gate;
      }, 2);
      await until(() => ran.length === 1, 'the first job to start');
      await q.add('running twin', { jobId: 'blob#1' });
      await q.add('other', { jobId: 'blob#2' });
      await until(() => ran.length === 2, 'the other job');
      release();
      await sleep(100);
      expect(ran).toEqual(['first', 'other']);
    });

    it('accepts an id again once its job has finished, or failed for good', async () => {
      const q = await create<string>();
      const ran: string[] = [];
      q.process(async (d) => {
        ran.push(d);
        if (d.startsWith('fail')) throw new Error('upstream broke');
      }, 1);
      // A durable queue records the outcome just after the handler returns: re-add until taken.
      async function addUntilRun(data: string, jobId: string) {
        const deadline = Date.now() + 5_000;
        while (!ran.includes(data)) {
          if (Date.now() > deadline) throw new Error(`${data} was never accepted`);
          await q.add(data, { jobId });
          await sleep(20);
        }
      }
      await addUntilRun('ok-1', 'k:1');
      await addUntilRun('ok-2', 'k:1');
      await addUntilRun('fail-1', 'k:2');
      await addUntilRun('ok-3', 'k:2');
      expect(new Set(ran)).toEqual(new Set(['ok-1', 'ok-2', 'fail-1', 'ok-3']));
    });

    it('stops taking jobs once closed', async () => {
      const q = await create<string>();
      const ran: string[] = [];
      q.process(async (d) => void ran.push(d), 1);
      await q.add('before');
      await until(() => ran.length === 1, 'the first job');
      await q.close();
      await q.add('after');
      await sleep(100);
      expect(ran).toEqual(['before']);
    });
  });
}
