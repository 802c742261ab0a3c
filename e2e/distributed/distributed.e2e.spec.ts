import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { downloadFile, listFiles, snapshotDownload } from '@huggingface/hub';
import { S3ChunkStore } from '@dingo/chunk-store';
import { http, sha256, tempDir } from '@dingo/testing';
import { Cluster, MiB, startCluster } from './cluster';

const run = promisify(execFile);

/** The same client checks as the embedded suite, on four processes, MariaDB, Redis and s3rver. */
describe('distributed mode', () => {
  let c: Cluster;
  const scratch = tempDir('dist-clients');
  beforeAll(async () => {
    c = await startCluster({ bandwidthPerConnection: 30 * MiB });
    await c.sim.addRepo({
      type: 'model',
      id: 'org/model',
      commits: [
        {
          files: [
            { path: 'config.json', content: '{"model_type":"bert"}' },
            { path: 'model.safetensors', size: 6 * MiB + 321 },
            { path: 'sub/tokenizer.json', size: 200_000, lfs: false },
          ],
        },
      ],
    });
    // Kept out of the snapshot test so they are still cold when their tests start.
    await c.sim.addRepo({
      type: 'model',
      id: 'org/cold',
      commits: [
        {
          files: [
            { path: 'shared.bin', size: 8 * MiB },
            { path: 'slow.bin', size: 10 * MiB },
          ],
        },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await c?.close();
    scratch.cleanup();
  });

  const file = (path: string) => c.sim.repo('model', 'org/model')!.file('main', path)!;
  const cold = (path: string) => c.sim.repo('model', 'org/cold')!.file('main', path)!;

  it('@huggingface/hub lists, downloads and snapshots through either gateway, bytes identical', async () => {
    const entries = [];
    for await (const e of listFiles({ repo: 'org/model', recursive: true, hubUrl: c.gatewayA.url }))
      entries.push(e.path);
    expect(entries).toEqual(
      expect.arrayContaining(['config.json', 'model.safetensors', 'sub/tokenizer.json']),
    );
    const blob = await downloadFile({ repo: 'org/model', path: 'model.safetensors', hubUrl: c.gatewayA.url });
    expect(sha256(Buffer.from(await blob!.arrayBuffer()))).toBe(file('model.safetensors').sha256);
    // Gateway B has never seen it: its chunks come from the shared store, not upstream.
    c.sim.stats.reset();
    const fromB = await http(`${c.gatewayB.url}/org/model/resolve/main/model.safetensors`);
    expect(sha256(fromB.body)).toBe(file('model.safetensors').sha256);
    expect(c.sim.stats.bytesServed({ sha256: file('model.safetensors').sha256 })).toBe(0);
    const folder = await snapshotDownload({
      repo: 'org/model',
      cacheDir: join(scratch.path, 'snap'),
      hubUrl: c.gatewayB.url,
    });
    expect(readFileSync(join(folder, 'config.json'), 'utf8')).toBe('{"model_type":"bert"}');
  });

  it('two gateways receiving the same cold request cause one upstream fetch', async () => {
    const f = cold('shared.bin');
    c.sim.stats.reset();
    const url = '/org/cold/resolve/main/shared.bin';
    const answers = await Promise.all([
      http(c.gatewayA.url + url),
      http(c.gatewayB.url + url),
      http(c.gatewayA.url + url),
      http(c.gatewayB.url + url),
    ]);
    for (const a of answers) expect(sha256(a.body)).toBe(f.sha256);
    expect(c.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(f.size);
  });

  it('curl -C - resumes against a gateway', async () => {
    const f = file('model.safetensors');
    const out = join(scratch.path, 'resume.bin');
    writeFileSync(out, readFileSync(f.diskPath).subarray(0, 3 * MiB + 5));
    await run('curl', [
      '-sS',
      '-f',
      '-C',
      '-',
      '-o',
      out,
      `${c.gatewayB.url}/org/model/resolve/main/model.safetensors`,
    ]);
    expect(statSync(out).size).toBe(f.size);
    expect(sha256(readFileSync(out))).toBe(f.sha256);
  });

  it('completes a download when the sync-worker is killed mid-pull and started again', async () => {
    const f = cold('slow.bin');
    const download = http(`${c.gatewayA.url}/org/cold/resolve/main/slow.bin`);
    await new Promise((r) => setTimeout(r, 150)); // the worker is now pulling read-ahead chunks
    await c.worker.stop('SIGKILL');
    await c.startWorker();
    const res = await download;
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(f.sha256);
  });

  it('detects a chunk deleted from S3 behind its back and refetches it', async () => {
    const f = file('model.safetensors');
    const store = S3ChunkStore.fromUrl(c.env('/tmp').DINGO_S3_URL);
    await store.delete({ blob: `sha256-${f.sha256}`, index: 2 });
    c.sim.stats.reset();
    const res = await http(`${c.gatewayA.url}/org/model/resolve/main/model.safetensors`);
    expect(sha256(res.body)).toBe(f.sha256);
    expect(c.sim.stats.bytesServed({ sha256: f.sha256 })).toBe(MiB);
    // The client is answered as bytes arrive; the upload to S3 finishes just after.
    const deadline = Date.now() + 10_000;
    while ((await store.stat({ blob: `sha256-${f.sha256}`, index: 2 })) !== MiB && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await store.stat({ blob: `sha256-${f.sha256}`, index: 2 })).toBe(MiB);
  });

  it('serves what is cached with the upstream stopped', async () => {
    await c.sim.stop();
    try {
      const res = await http(`${c.gatewayB.url}/org/cold/resolve/main/shared.bin`);
      expect(sha256(res.body)).toBe(cold('shared.bin').sha256);
      const info = await http(`${c.gatewayA.url}/api/models/org/model/tree/main?recursive=true&expand=false`);
      expect(info.status).toBe(200);
      // The commit's file list is known: a path not in it is a 404 clients can cache, offline too.
      const missing = await http(`${c.gatewayA.url}/org/model/resolve/main/not-there.bin`);
      expect(missing.status).toBe(404);
      expect(missing.headers['x-error-code']).toBe('EntryNotFound');
      expect(missing.headers['x-repo-commit']).toBe(c.sim.repo('model', 'org/model')!.resolve('main')!.sha);
    } finally {
      await c.sim.restart();
    }
  });

  it('recovers from a Redis restart without manual action', async () => {
    restartRedis();
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline) {
      const res = await http(`${c.gatewayA.url}/org/model/resolve/main/sub/tokenizer.json`).catch(
        () => undefined,
      );
      status = res?.status ?? 0;
      if (status === 200 && sha256(res!.body) === sha256(readFileSync(file('sub/tokenizer.json').diskPath)))
        break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (status !== 200) for (const s of c.services) console.log(`--- ${s.name}\n${s.output().slice(-4000)}`);
    expect(status).toBe(200);
    for (const s of c.services) expect(s.child.exitCode).toBeNull();
  });
});

/** Restarts the machine's Redis the way it was started (no persistence), waiting until it answers. */
function restartRedis(): void {
  try {
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave']);
  } catch {
    /* the connection drops as it shuts down */
  }
  execFileSync('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '-::1',
    '--port',
    '6379',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    '/var/lib/redis',
    '--logfile',
    '/var/log/redis/ci.log',
  ]);
  for (let i = 0; i < 50; i++) {
    try {
      if (execFileSync('redis-cli', ['-h', '127.0.0.1', 'ping']).toString().trim() === 'PONG') return;
    } catch {
      /* not yet */
    }
    execFileSync('sleep', ['0.1']);
  }
  throw new Error('Redis did not come back');
}
