import {
  appendFileSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RunningGateway, tempDir } from '@dingo/testing';
import { groupTally } from './tally';
import {
  call,
  chunkPath,
  fillDisk,
  flipByteKeepingTimes,
  MiB,
  mountTmpfs,
  pullsSettled,
  Reply,
  sha256,
  sleep,
  startWorld,
  until,
  World,
} from './world';

const tally = groupTally('faults');

const complete = (res: Reply, size: number) =>
  (res.status === 200 || res.status === 206) && !res.error && res.body.length === size;

/** Things break around the mirror (upstream, disk, database, clients): it answers cleanly and its cache stays right. */
describe('faults', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ upstreamTimeoutMs: 1500 });
  });
  afterAll(() => w.close());
  beforeEach(() => {
    w.sim.clearFaults();
    w.sim.stats.reset();
  });

  /** A file the gateway holds complete and verified. */
  const cached = async (g: RunningGateway = w.gateway, size = 3 * MiB + 21) => {
    const repo = await w.freshRepo([{ path: 'f.safetensors', size }], 'fault');
    const f = repo.f('f.safetensors');
    const url = `/${repo.id}/resolve/main/f.safetensors`;
    expect(sha256((await call(g.url, url)).body)).toBe(f.sha256);
    await until(async () => (await g.adapters.meta.getBlob(`sha256-${f.sha256}`))?.state === 'verified');
    await pullsSettled(g);
    w.sim.stats.reset();
    return {
      f,
      url,
      blob: `sha256-${f.sha256}`,
      chunk: (i: number) => chunkPath(g.dataDir, `sha256-${f.sha256}`, i),
    };
  };
  const rightAgain = async (t: { f: { sha256: string }; url: string }, g: RunningGateway = w.gateway) => {
    const res = await call(g.url, t.url);
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(t.f.sha256);
  };

  describe('the store behind the mirror', () => {
    tally.it('a deleted chunk file is fetched again', async () => {
      const t = await cached();
      unlinkSync(t.chunk(1));
      await rightAgain(t);
      expect(w.sim.stats.bytesServed({ sha256: t.f.sha256 })).toBe(MiB);
    });
    tally.it('a truncated chunk file is fetched again', async () => {
      const t = await cached();
      truncateSync(t.chunk(0), 1000);
      await rightAgain(t);
    });
    tally.it('a chunk file with bytes appended is never served as it is', async () => {
      const t = await cached();
      appendFileSync(t.chunk(2), Buffer.alloc(4096, 0x41));
      await rightAgain(t);
    });
    tally.it('a chunk zeroed in place (same size, same mtime) is caught and fetched again', async () => {
      const t = await cached();
      const path = t.chunk(1);
      const size = readFileSync(path).length;
      writeFileSync(path, Buffer.alloc(size));
      flipByteKeepingTimes(path, 0); // restores the times; one more changed byte does not matter
      await rightAgain(t);
    });
    tally.it('the whole chunks directory removed: everything fetched again, right', async () => {
      const g = await w.startGateway();
      const t = await cached(g);
      rmSync(join(g.dataDir, 'chunks'), { recursive: true, force: true });
      await rightAgain(t, g);
      expect(w.sim.stats.bytesServed({ sha256: t.f.sha256 })).toBe(t.f.size);
    });
    tally.it(
      "a chunk's record deleted from the database (file still there): fetched and recorded again",
      async () => {
        const t = await cached();
        await w.gateway.adapters.dataSource!.query('DELETE FROM chunks WHERE blobKey = ? AND "index" = 1', [
          t.blob,
        ]);
        // The ledger caches records in memory; a restart-free mirror may still hold it. Either way: right bytes.
        await rightAgain(t);
      },
    );
    tally.it('rot in the last chunk, read as a range to EOF (the held-back tail): right bytes', async () => {
      const t = await cached();
      flipByteKeepingTimes(t.chunk(3), 3);
      const truth = readFileSync(t.f.diskPath);
      const res = await w.call(t.url, { headers: { range: `bytes=${3 * MiB - 100}-` } });
      expect(res.status).toBe(206);
      expect(res.body.equals(truth.subarray(3 * MiB - 100))).toBe(true);
    });
    tally.it(
      'rot met by eight concurrent readers: every one gets the right bytes, the chunk is fetched once',
      async () => {
        const t = await cached();
        flipByteKeepingTimes(t.chunk(2), 77);
        const all = await Promise.all(Array.from({ length: 8 }, () => w.call(t.url)));
        for (const res of all) expect(sha256(res.body)).toBe(t.f.sha256);
        expect(w.sim.stats.bytesServed({ sha256: t.f.sha256 })).toBe(MiB);
      },
    );
  });

  describe('upstream and clients going away', () => {
    tally.it(
      'upstream stopped mid-download: the client is cut, no partial file stays, and after a restart the file is right',
      async () => {
        const repo = await w.freshRepo([{ path: 'f.safetensors', size: 2 * MiB + 1 }], 'stop');
        const f = repo.f('f.safetensors');
        w.sim.injectFault(
          new RegExp(`^/repos/../../${f.sha256}`),
          { kind: 'stall', afterBytes: 300_000 },
          10,
        );
        const pending = w.call(`/${repo.id}/resolve/main/f.safetensors`);
        await until(() => w.gateway.mirror.stats().pullsInFlight > 0);
        await sleep(200);
        await w.sim.stop();
        try {
          const res = await pending;
          expect(complete(res, f.size)).toBe(false);
          await pullsSettled(w.gateway);
          expect(readdirSync(join(w.gateway.dataDir, 'staging'))).toEqual([]);
        } finally {
          w.sim.clearFaults();
          await w.sim.restart();
        }
        await rightAgain({ f, url: `/${repo.id}/resolve/main/f.safetensors` });
      },
    );

    tally.it(
      "a request right after a failed pull starts a new pull (never the failed one's error, never a 500)",
      async () => {
        // The failed pull stays visible for a moment after its client got the error: clients that
        // retry at once land in that moment. Twenty rounds of four make the window hard to miss.
        const outcomes: string[] = [];
        for (let i = 0; i < 20; i++) {
          const repo = await w.freshRepo([{ path: 'f.safetensors', size: 100_000 }], 'race');
          const f = repo.f('f.safetensors');
          const url = `/${repo.id}/resolve/main/f.safetensors`;
          w.sim.injectFault(new RegExp(`^/repos/../../${f.sha256}`), { kind: 'status', status: 404 });
          const failed = await w.call(url);
          expect(failed.status).toBe(502);
          const next = await Promise.all(Array.from({ length: 4 }, () => w.call(url)));
          for (const res of next)
            outcomes.push(res.status === 200 && sha256(res.body) === f.sha256 ? 'right' : `${res.status}`);
          await pullsSettled(w.gateway);
        }
        expect(outcomes.filter((o) => o !== 'right')).toEqual([]);
      },
    );

    tally.it('ten clients that hang up mid-body: the pull finishes once, the file is right', async () => {
      const repo = await w.freshRepo([{ path: 'f.safetensors', size: 3 * MiB }], 'abort');
      const f = repo.f('f.safetensors');
      const url = `/${repo.id}/resolve/main/f.safetensors`;
      await Promise.all(Array.from({ length: 10 }, () => w.call(url, { timeoutMs: 30 })));
      await pullsSettled(w.gateway);
      await rightAgain({ f, url });
      expect(w.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(f.size);
    });

    tally.it(
      'a gateway shut down mid-pull keeps what it stored; after a restart only the rest is fetched',
      async () => {
        const dir = tempDir('restart');
        try {
          const g1 = await w.startGateway({ dataDir: dir.path });
          const repo = await w.freshRepo([{ path: 'f.safetensors', size: 4 * MiB }], 'restart');
          const f = repo.f('f.safetensors');
          const url = `/${repo.id}/resolve/main/f.safetensors`;
          // Chunk 2 stalls: chunks 0, 1 (and 3) land; the client waits on 2 when the gateway goes down.
          w.sim.injectFault(new RegExp(`^/repos/../../${f.sha256}.*`), { kind: 'stall', afterBytes: 0 }, 1);
          const pending = call(g1.url, url, { headers: { range: `bytes=${2 * MiB}-` } });
          await sleep(300);
          const stored = (await g1.adapters.meta.listChunks(`sha256-${f.sha256}`)).length;
          await g1.close();
          const cut = await pending;
          expect(complete(cut, 2 * MiB)).toBe(false);
          w.sim.clearFaults();
          w.sim.stats.reset();
          const g2 = await w.startGateway({ dataDir: dir.path });
          await rightAgain({ f, url }, g2);
          expect(w.sim.stats.bytesServed({ sha256: f.sha256 })).toBeLessThanOrEqual(f.size - stored * MiB);
          await g2.close();
        } finally {
          dir.cleanup();
        }
      },
    );
  });

  describe('the disk and the database', () => {
    let disk: ReturnType<typeof mountTmpfs>;
    let g: RunningGateway;
    beforeAll(async () => {
      disk = mountTmpfs(8 * MiB);
      g = await w.startGateway({ dataDir: join(disk.path, 'data'), minFreeBytes: 0 });
    });
    afterAll(async () => {
      await g?.close();
      disk?.unmount();
    });

    tally.it(
      'the disk fills up mid-body: the client is cut (never a complete wrong file), the partial file is released, then right',
      async () => {
        const repo = await w.freshRepo([{ path: 'f.safetensors', size: 3 * MiB }], 'fill');
        const f = repo.f('f.safetensors');
        const url = `/${repo.id}/resolve/main/f.safetensors`;
        expect((await call(g.url, url, { method: 'HEAD' })).status).toBe(200);
        w.sim.injectFault(new RegExp(`^/repos/../../${f.sha256}`), { kind: 'slow-start', delayMs: 1000 });
        const pending = call(g.url, url);
        await sleep(300);
        const filler = fillDisk(disk.path, 200 * 1024);
        try {
          const res = await pending;
          expect(complete(res, f.size)).toBe(false);
          await pullsSettled(g);
          expect(readdirSync(join(disk.path, 'data', 'staging'))).toEqual([]);
        } finally {
          unlinkSync(filler);
        }
        await sleep(1100); // the staging area re-reads the free space at most once a second
        await rightAgain({ f, url }, g);
      },
    );

    tally.it('with the disk full, what is cached is still served', async () => {
      expect((await call(g.url, '/org/model/resolve/main/config.json')).status).toBe(200);
      expect((await call(g.url, '/api/models/org/model/revision/v1.0')).status).toBe(200);
      const filler = fillDisk(disk.path, 0);
      try {
        const file = await call(g.url, '/org/model/resolve/main/config.json');
        expect(file.status).toBe(200);
        expect(file.json().model_type).toBe('llama');
        expect((await call(g.url, '/api/models/org/model/revision/v1.0')).status).toBe(200);
      } finally {
        unlinkSync(filler);
      }
    });

    tally.it(
      'with the disk full, what needs a database write is a Hub-style 507 (or served), never a 500',
      async () => {
        const repo = await w.freshRepo([{ path: 'f.safetensors', size: 100_000 }], 'dbfull');
        const filler = fillDisk(disk.path, 0);
        try {
          const api = await call(g.url, `/api/models/${repo.id}`);
          const file = await call(g.url, `/${repo.id}/resolve/main/f.safetensors`);
          // The API answer may be served without being cached; it must not be a 500.
          expect({
            api: [api.status, api.headers['x-error-code']],
            file: [file.status, file.headers['x-error-code']],
          }).toEqual({
            api: api.status === 200 ? [200, undefined] : [507, 'InsufficientStorage'],
            file: [507, 'InsufficientStorage'],
          });
        } finally {
          unlinkSync(filler);
        }
        await sleep(1100);
        expect((await call(g.url, `/${repo.id}/resolve/main/f.safetensors`)).status).toBe(200);
      },
    );

    tally.it(
      'a metadata database locked by another process: a Hub-style 503 in bounded time, never a 500; fine once released',
      async () => {
        const db = new Database(join(w.gateway.dataDir, 'metadata.sqlite'));
        try {
          db.exec('BEGIN EXCLUSIVE');
          const res = await w.call('/api/models/org/model/revision/main?locked=1');
          // Served (reads need no lock), or a retryable 503 with a Hub error code; a 500 tells the client nothing.
          expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual(
            res.status === 200 ? { status: 200, code: undefined } : { status: 503, code: expect.any(String) },
          );
          expect(res.ms).toBeLessThan(10_000);
        } finally {
          db.exec('ROLLBACK');
          db.close();
        }
        expect((await w.call('/api/models/org/model/revision/main?locked=2')).status).toBe(200);
      },
      30_000,
    );
  });
});
