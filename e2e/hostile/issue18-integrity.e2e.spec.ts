import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RunningGateway, startService, tempDir } from '@dingo/testing';
import { groupTally } from './tally';
import {
  ADMIN_PASSWORD,
  call,
  chunkPath,
  fillDisk,
  flipByteKeepingTimes,
  freeBytes,
  JWT_SECRET,
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

const tally = groupTally('issue #18 points');

/** Delivered complete = a 200/206 whose body has every promised byte and a clean end. */
const complete = (res: Reply, size: number) =>
  (res.status === 200 || res.status === 206) && !res.error && res.body.length === size;

/** Issue #18, Integrity: points 6-10. */
describe('issue #18 integrity', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.close());
  beforeEach(() => w.sim.clearFaults());

  const blobState = async (g: RunningGateway, key: string) => (await g.adapters.meta.getBlob(key))?.state;

  describe('#18.6 wrong bytes are never delivered complete', () => {
    tally.it(
      '#18.6 LFS: CDN bytes that do not match the sha256 reach no client complete, the first included; the blob is purged and pulled again',
      async () => {
        const repo = await w.freshRepo([{ path: 'w.safetensors', size: 2 * MiB + 999 }]);
        const f = repo.f('w.safetensors');
        const failures = w.gateway.mirror.stats().verificationFailures;
        w.sim.injectFault(new RegExp(`^/repos/../../${f.sha256}`), { kind: 'corrupt', atByte: 5000 });
        const first = await w.call(`/${repo.id}/resolve/main/w.safetensors`);
        expect(complete(first, f.size)).toBe(false);
        expect(first.body.length).toBeLessThan(f.size);
        await until(() => w.gateway.mirror.stats().verificationFailures > failures);
        expect(await blobState(w.gateway, `sha256-${f.sha256}`)).not.toBe('verified');
        await pullsSettled(w.gateway);
        const second = await w.call(`/${repo.id}/resolve/main/w.safetensors`);
        expect(second.status).toBe(200);
        expect(sha256(second.body)).toBe(f.sha256);
        await until(async () => (await blobState(w.gateway, `sha256-${f.sha256}`)) === 'verified');
      },
    );

    tally.it(
      '#18.6 regular file: bytes that do not match the git blob id reach no client complete, first and later ones, ranges to EOF included',
      async () => {
        const repo = await w.freshRepo([{ path: 'vocab.json', size: 300_000, lfs: false }]);
        const f = repo.f('vocab.json');
        expect(f.lfs).toBe(false);
        const original = readFileSync(f.diskPath);
        const tampered = Buffer.from(original);
        tampered[1234] ^= 0xff;
        writeFileSync(f.diskPath, tampered);
        const url = `/${repo.id}/resolve/main/vocab.json`;
        try {
          for (const attempt of [1, 2]) {
            const res = await w.call(url);
            expect({ attempt, complete: complete(res, f.size) }).toEqual({ attempt, complete: false });
            expect(res.body.equals(tampered)).toBe(false);
            await pullsSettled(w.gateway);
          }
          const toEof = await w.call(url, { headers: { range: 'bytes=1000-' } });
          expect(complete(toEof, f.size - 1000)).toBe(false);
          await pullsSettled(w.gateway);
          const tail = await w.call(url, { headers: { range: 'bytes=-100' } });
          expect(complete(tail, 100)).toBe(false);
          expect(tail.status).toBe(502);
          expect(tail.headers['x-error-code']).toBe('IntegrityError');
          await pullsSettled(w.gateway);
          expect(await blobState(w.gateway, `gitsha1-${f.blobId}`)).not.toBe('verified');
        } finally {
          writeFileSync(f.diskPath, original);
        }
        const honest = await w.call(url);
        expect(honest.status).toBe(200);
        expect(honest.body.equals(original)).toBe(true);
      },
    );

    tally.it(
      '#18.6 a blob cached from a lying upstream (partly, never verified) is not served complete from the cache once upstream is honest again',
      async () => {
        const g = await w.startGateway({ readAheadChunks: 0 });
        const repo = await w.freshRepo([{ path: 'w.safetensors', size: 3 * MiB + 5 }]);
        const f = repo.f('w.safetensors');
        const url = `/${repo.id}/resolve/main/w.safetensors`;
        const original = readFileSync(f.diskPath);
        const tampered = Buffer.from(original);
        tampered[10] ^= 0xff;
        writeFileSync(f.diskPath, tampered);
        try {
          // A range inside chunk 0: the lying bytes are stored (their blocks' digests match them).
          const ranged = await call(g.url, url, { headers: { range: 'bytes=0-999' } });
          expect(ranged.status).toBe(206);
          await pullsSettled(g);
          expect(await g.adapters.meta.getChunk(`sha256-${f.sha256}`, 0)).toBeDefined();
        } finally {
          writeFileSync(f.diskPath, original);
        }
        const fromCache = await call(g.url, url);
        expect(complete(fromCache, f.size)).toBe(false);
        await pullsSettled(g);
        const again = await call(g.url, url);
        expect(again.status).toBe(200);
        expect(sha256(again.body)).toBe(f.sha256);
      },
    );
  });

  describe('#18.7 silent bit rot', () => {
    /** A file the gateway holds verified, and the path of its chunk `index`. */
    const cachedFile = async (g: RunningGateway, size = 3 * MiB + 77) => {
      const repo = await w.freshRepo([{ path: 'rot.safetensors', size }]);
      const f = repo.f('rot.safetensors');
      const url = `/${repo.id}/resolve/main/rot.safetensors`;
      expect(sha256((await call(g.url, url)).body)).toBe(f.sha256);
      await until(async () => (await blobState(g, `sha256-${f.sha256}`)) === 'verified');
      await pullsSettled(g);
      return { f, url, chunk: (i: number) => chunkPath(g.dataDir, `sha256-${f.sha256}`, i) };
    };

    tally.it(
      '#18.7 one flipped byte (mtime restored) is caught on a full GET: the chunk is pulled again, the client gets the right bytes',
      async () => {
        const t = await cachedFile(w.gateway);
        flipByteKeepingTimes(t.chunk(1), 4242);
        w.sim.stats.reset();
        const res = await w.call(t.url);
        expect(res.status).toBe(200);
        expect(sha256(res.body)).toBe(t.f.sha256);
        expect(w.sim.stats.bytesServed({ sha256: t.f.sha256 })).toBe(MiB);
      },
    );

    tally.it('#18.7 a ranged read over a flipped byte never returns the wrong bytes in a 206', async () => {
      const t = await cachedFile(w.gateway);
      flipByteKeepingTimes(t.chunk(2), 100);
      const truth = readFileSync(t.f.diskPath);
      const from = 2 * MiB + 50;
      const res = await w.call(t.url, { headers: { range: `bytes=${from}-${from + 99}` } });
      expect(res.status).toBe(206);
      expect(res.body.equals(truth.subarray(from, from + 100))).toBe(true);
    });

    tally.it(
      '#18.7 with upstream down, a ranged read over a flipped byte is an error, never the rotten bytes',
      async () => {
        const t = await cachedFile(w.gateway);
        flipByteKeepingTimes(t.chunk(0), 7);
        const truth = readFileSync(t.f.diskPath);
        await w.sim.stop();
        try {
          const res = await w.call(t.url, { headers: { range: 'bytes=0-99' } });
          expect(res.status).toBeGreaterThanOrEqual(500);
          expect(res.body.includes(truth.subarray(8, 60))).toBe(false);
          // Chunks that did not rot are still served offline.
          const fine = await w.call(t.url, { headers: { range: `bytes=${MiB}-${MiB + 99}` } });
          expect(fine.status).toBe(206);
          expect(fine.body.equals(truth.subarray(MiB, MiB + 100))).toBe(true);
        } finally {
          await w.sim.restart();
        }
      },
    );

    tally.it(
      '#18.7 the background scrub finds rot nobody read, drops the chunk, counts it in /metrics; the next GET is right',
      async () => {
        const g = await w.startGateway({ scrubBytesPerSec: 64 * MiB, scrubPauseSeconds: 0 });
        const t = await cachedFile(g, 2 * MiB + 3);
        const metric = async (name: string) =>
          Number(new RegExp(`^${name} (\\d+)`, 'm').exec((await call(g.url, '/metrics')).text())?.[1] ?? NaN);
        await until(
          async () => (await metric('dingo_scrub_chunks_checked_total')) > 0,
          10_000,
          'a scrub pass',
        );
        const before = await metric('dingo_scrub_failures_total');
        flipByteKeepingTimes(t.chunk(1), 999);
        await until(
          async () => (await metric('dingo_scrub_failures_total')) > before,
          15_000,
          'the scrub to find rot',
        );
        expect(existsSync(t.chunk(1))).toBe(false);
        expect(await g.adapters.meta.getChunk(`sha256-${t.f.sha256}`, 1)).toBeFalsy();
        w.sim.stats.reset();
        const res = await call(g.url, t.url);
        expect(sha256(res.body)).toBe(t.f.sha256);
        expect(w.sim.stats.bytesServed({ sha256: t.f.sha256 })).toBe(MiB);
      },
    );
  });

  describe('#18.8 partial files and a full disk', () => {
    tally.it(
      '#18.8 after kill -9, the dead process staging files are removed at the next start (a live process files are kept)',
      async () => {
        const dir = tempDir('kill9');
        const env = {
          DINGO_DATA_DIR: dir.path,
          DINGO_UPSTREAMS: w.sim.url,
          DINGO_UPSTREAM_ALLOW_PRIVATE: w.sim.cdnUrl,
          DINGO_CHUNK_SIZE: '1MB',
          DINGO_ADMIN_PASSWORD: ADMIN_PASSWORD,
          DINGO_JWT_SECRET: JWT_SECRET,
          DINGO_LOG_LEVEL: 'log',
        };
        const staging = join(dir.path, 'staging');
        try {
          const repo = await w.freshRepo([{ path: 'big.safetensors', size: 4 * MiB }]);
          const f = repo.f('big.safetensors');
          w.sim.injectFault(
            new RegExp(`^/repos/../../${f.sha256}`),
            { kind: 'stall', afterBytes: 64 * 1024 },
            50,
          );
          const first = await startService('gateway', env);
          const pending = call(first.url, `/${repo.id}/resolve/main/big.safetensors`, { timeoutMs: 60_000 });
          await until(() => existsSync(staging) && readdirSync(staging).length > 0, 15_000, 'staging files');
          await first.stop('SIGKILL');
          expect((await pending).status === 200 && !(await pending).error).toBe(false);
          const left = readdirSync(staging);
          expect(left.length).toBeGreaterThan(0);
          expect(left.every((n) => n.split('.').at(-2) === String(first.child.pid))).toBe(true);
          // A partial file of a process that is alive (another gateway on this data dir) is not touched.
          const alive = `sha256-${'0'.repeat(64)}.0.${process.pid}.0`;
          writeFileSync(join(staging, alive), 'in progress elsewhere');
          w.sim.clearFaults();
          const second = await startService('gateway', env);
          try {
            expect(readdirSync(staging)).toEqual([alive]);
            expect(second.output()).toMatch(/removed \d+ partial download/);
            const res = await call(second.url, `/${repo.id}/resolve/main/big.safetensors`);
            expect(sha256(res.body)).toBe(f.sha256);
          } finally {
            await second.stop();
          }
        } finally {
          dir.cleanup();
        }
      },
      60_000,
    );

    describe('on a real, small disk (tmpfs)', () => {
      let disk: ReturnType<typeof mountTmpfs>;
      beforeAll(() => {
        disk = mountTmpfs(8 * MiB);
      });
      afterAll(() => disk?.unmount());

      tally.it(
        '#18.8 a disk that fills up (0 bytes free) during a pull is a Hub-style 507, the partial file is released, and the file is served once there is room',
        async () => {
          const dataDir = join(disk.path, 'data-full');
          const g = await w.startGateway({ dataDir, minFreeBytes: 0 });
          let filler: string | undefined;
          try {
            const repo = await w.freshRepo([{ path: 'w.safetensors', size: 3 * MiB }]);
            const f = repo.f('w.safetensors');
            const url = `/${repo.id}/resolve/main/w.safetensors`;
            expect((await call(g.url, url, { method: 'HEAD' })).status).toBe(200);
            // Room enough when the pull starts; the disk fills up (0 bytes left) while upstream takes its time.
            w.sim.injectFault(new RegExp(`^/repos/../../${f.sha256}`), { kind: 'slow-start', delayMs: 1500 });
            const pending = call(g.url, url);
            await sleep(500);
            filler = fillDisk(disk.path, 0);
            expect(freeBytes(disk.path)).toBe(0);
            const free = freeBytes(disk.path);
            const res = await pending;
            expect(res.status).toBe(507);
            expect(res.headers['x-error-code']).toBe('InsufficientStorage');
            expect(res.json().error).toMatch(/ran out of disk space/);
            await pullsSettled(g);
            expect(readdirSync(join(dataDir, 'staging'))).toEqual([]);
            expect(freeBytes(disk.path)).toBeGreaterThanOrEqual(free);
            unlinkSync(filler);
            filler = undefined;
            const later = await call(g.url, url);
            expect(later.status).toBe(200);
            expect(sha256(later.body)).toBe(f.sha256);
          } finally {
            if (filler) unlinkSync(filler);
            await g.close();
            rmSync(dataDir, { recursive: true, force: true });
          }
        },
      );

      tally.it(
        '#18.8 the free-space floor (minFreeBytes) refuses new pulls with 507 before the disk fills; cached files are still served',
        async () => {
          const dataDir = join(disk.path, 'data-floor');
          const filler = fillDisk(disk.path, 3 * MiB);
          const g = await w.startGateway({ dataDir, minFreeBytes: 2.5 * MiB });
          try {
            expect((await call(g.url, '/org/model/resolve/main/config.json')).status).toBe(200);
            const before = freeBytes(disk.path);
            const res = await call(g.url, '/org/model/resolve/main/model.safetensors');
            expect(res.status).toBe(507);
            expect(res.headers['x-error-code']).toBe('InsufficientStorage');
            expect(res.json().error).toMatch(/free-space floor/);
            expect(freeBytes(disk.path)).toBeGreaterThanOrEqual(before - 64 * 1024);
            expect(readdirSync(join(dataDir, 'staging'))).toEqual([]);
            const cached = await call(g.url, '/org/model/resolve/main/config.json');
            expect(cached.status).toBe(200);
          } finally {
            await g.close();
            unlinkSync(filler);
            rmSync(dataDir, { recursive: true, force: true });
          }
        },
      );
    });
  });

  describe('#18.9 compressed API answers', () => {
    tally.it(
      '#18.9 a gzip-encoded API answer reaches the client as correct JSON (and is cached decoded)',
      async () => {
        for (const path of [
          '/api/models/org/model/revision/v1.0',
          '/api/models/org/model/tree/v1.0/nested?recursive=true',
        ]) {
          w.sim.injectFault(new RegExp(`^${path.replace(/[?.]/g, '\\$&')}$`), { kind: 'gzip' });
          const res = await w.call(path);
          expect(res.status).toBe(200);
          expect(res.headers['content-encoding'] ?? 'identity').toBe('identity');
          expect(() => res.json()).not.toThrow();
          const again = await w.call(path);
          expect(again.headers['x-dingo-cache']).toBe('HIT');
          expect(again.json()).toEqual(res.json());
        }
        expect((await w.call('/api/models/org/model/revision/v1.0')).json().sha).toBe(w.commit());
      },
    );

    tally.it('#18.9 a paths-info answer gzip-encoded by upstream is decoded too', async () => {
      w.sim.injectFault(/paths-info/, { kind: 'gzip' });
      const res = await w.call('/api/models/org/model/paths-info/main', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'paths=config.json&paths=README.md&expand=True',
      });
      expect(res.status).toBe(200);
      expect(
        res
          .json()
          .map((e: { path: string }) => e.path)
          .sort(),
      ).toEqual(['README.md', 'config.json']);
    });

    tally.it(
      '#18.9 a gzip bomb stays a clean 502 (decoded size limited); the next answer is right',
      async () => {
        const bomb = gzipSync(Buffer.alloc(80 * MiB, 0x20), { level: 9 });
        expect(bomb.length).toBeLessThan(1 * MiB);
        const path = '/api/models/org/model';
        w.sim.injectFault(/^\/api\/models\/org\/model$/, {
          kind: 'body',
          body: bomb,
          headers: { 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' },
        });
        const rssBefore = process.memoryUsage().rss;
        const res = await w.call(path);
        expect(res.status).toBe(502);
        expect(res.headers['x-error-code']).toBe('BadGateway');
        expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * MiB);
        const next = await w.call(path);
        expect(next.status).toBe(200);
        expect(next.json().id).toBe('org/model');
      },
    );
  });

  describe('#18.10 a CDN that never sends headers', () => {
    tally.it(
      '#18.10 the client gets a Hub-style 504 after the upstream timeout, not an empty reply after 30 s',
      async () => {
        const repo = await w.freshRepo([{ path: 'slow.safetensors', size: MiB + 1 }]);
        const f = repo.f('slow.safetensors');
        w.sim.injectFault(new RegExp(`^/repos/../../${f.sha256}`), { kind: 'slow-start', delayMs: 20_000 });
        const res = await w.call(`/${repo.id}/resolve/main/slow.safetensors`);
        expect(res.error).toBeUndefined();
        expect(res.status).toBe(504);
        expect(res.headers['x-error-code']).toBe('GatewayTimeout');
        expect(res.json().error).toMatch(/did not answer in time/);
        expect(res.ms).toBeLessThan(8_000); // upstreamTimeoutMs is 3 s here
        await pullsSettled(w.gateway);
        const later = await w.call(`/${repo.id}/resolve/main/slow.safetensors`);
        expect(sha256(later.body)).toBe(f.sha256);
      },
    );
  });
});
