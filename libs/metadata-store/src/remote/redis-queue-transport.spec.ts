import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { BlobRecord, MetadataPort } from '../records';
import { metadataQueue } from './metadata-patterns';
import { METADATA_PORT, metadataRpcController } from './metadata-rpc.controller';
import { RedisQueueServer, RedisQueueServerOptions } from './redis-queue-server';
import { RemoteMetadataStore } from './remote-metadata-store';

const REDIS = { host: '127.0.0.1', port: 6379 };
const ROOT = join(__dirname, '..', '..', '..', '..');

/** A replica whose getBlob answers `{ key, size: <replica number> }` after `delayMs`, counting calls. */
async function replica(
  namespace: string,
  n: number,
  delayMs = 0,
  options: Partial<RedisQueueServerOptions> = {},
): Promise<{ app: INestMicroservice; calls: string[] }> {
  const calls: string[] = [];
  const port: Partial<MetadataPort> = {
    ping: async () => undefined,
    getBlob: async (key) => {
      calls.push(key);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return { key, size: n, state: 'complete' } as unknown as BlobRecord;
    },
  };
  @Module({
    controllers: [metadataRpcController(namespace)],
    providers: [{ provide: METADATA_PORT, useValue: port }],
  })
  class ReplicaModule {}
  const app = await NestFactory.createMicroservice(ReplicaModule, {
    strategy: new RedisQueueServer({ redis: REDIS, queue: metadataQueue(namespace), ...options }),
    logger: false,
  });
  await app.listen();
  return { app, calls };
}

/** A replica in its own process (slow-replica.fixture.ts), so it can be killed with SIGKILL. */
async function replicaProcess(
  namespace: string,
  delayMs: number,
): Promise<{ child: ChildProcess; started: string[] }> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      join(__dirname, 'testing', 'slow-replica.fixture.ts'),
      namespace,
      String(delayMs),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const started: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') resolve();
        else if (line.startsWith('start ')) started.push(line.slice(6));
      }
    });
    child.once('exit', (code) => reject(new Error(`replica process exited with ${code}`)));
  });
  return { child, started };
}

describe('Redis queue transport with several metadata replicas', () => {
  let namespace: string;
  let remote: RemoteMetadataStore;
  const apps: INestMicroservice[] = [];
  const children: ChildProcess[] = [];

  beforeEach(() => {
    namespace = `dingo-rq-${randomUUID()}`;
    remote = RemoteMetadataStore.connect(REDIS, { namespace, timeoutMs: 8_000 });
  });
  afterEach(async () => {
    await remote.close();
    for (const app of apps.splice(0)) await app.close();
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`${metadataQueue(namespace)}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('answers every call exactly once, spread over the replicas', async () => {
    const replicas = await Promise.all([replica(namespace, 1, 2), replica(namespace, 2, 2)]);
    apps.push(...replicas.map((r) => r.app));
    const keys = Array.from({ length: 300 }, (_, i) => `sha256-${i}`);
    const answers = await Promise.all(keys.map((k) => remote.getBlob(k)));

    expect(answers.map((a) => a!.key)).toEqual(keys);
    const handled = [...replicas[0].calls, ...replicas[1].calls];
    expect(handled).toHaveLength(keys.length); // nobody ran a call twice
    expect(new Set(handled).size).toBe(keys.length);
    // Both replicas took a share (BLMOVE wakes blocked replicas in turn).
    expect(replicas[0].calls.length).toBeGreaterThan(30);
    expect(replicas[1].calls.length).toBeGreaterThan(30);
  });

  it('loses no call when a replica is killed holding requests: they are run by another', async () => {
    const killed = await replicaProcess(namespace, 400);
    children.push(killed.child);
    const survivor = await replica(namespace, 2, 5);
    apps.push(survivor.app);

    const keys = Array.from({ length: 200 }, (_, i) => `sha256-k${i}`);
    const started = Date.now();
    const calls = keys.map((k) => remote.getBlob(k));
    // Kill it once it holds some calls in flight, as a crash would.
    while (killed.started.length < 5) await new Promise((r) => setTimeout(r, 10));
    killed.child.kill('SIGKILL');
    const answers = await Promise.all(calls);
    const elapsed = Date.now() - started;

    expect(answers.map((a) => a!.key)).toEqual(keys);
    // Every call the dead replica had taken was answered by the survivor.
    const orphaned = killed.started;
    expect(orphaned.length).toBeGreaterThanOrEqual(5);
    for (const k of orphaned) expect(survivor.calls).toContain(k);
    expect(answers.filter((a) => orphaned.includes(a!.key)).every((a) => a!.size === 2)).toBe(true);
    // Its connection closing is noticed on the next heartbeat, not after the heartbeat TTL.
    expect(elapsed).toBeLessThan(3_000);
  });

  it('a replica that shuts down finishes what it took; nothing is lost or run twice', async () => {
    const leaving = await replica(namespace, 1, 200);
    const staying = await replica(namespace, 2, 1);
    apps.push(staying.app);
    const keys = Array.from({ length: 60 }, (_, i) => `sha256-s${i}`);
    const calls = keys.map((k) => remote.getBlob(k));
    while (leaving.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await leaving.app.close();
    const answers = await Promise.all(calls);

    expect(answers.map((a) => a!.key)).toEqual(keys);
    expect(leaving.calls.length + staying.calls.length).toBe(keys.length);
  });

  it('does not run calls whose caller stopped waiting before any replica was up', async () => {
    const impatient = RemoteMetadataStore.connect(REDIS, { namespace, timeoutMs: 100 });
    try {
      await expect(impatient.getBlob('sha256-late')).rejects.toThrow(/did not answer/);
    } finally {
      await impatient.close();
    }
    // Past the request's TTL and the tolerated clock skew, a new replica drops it unrun.
    await new Promise((r) => setTimeout(r, 400));
    const late = await replica(namespace, 1, 0, { clockSkewMs: 200 });
    apps.push(late.app);
    await expect(remote.getBlob('sha256-now')).resolves.toMatchObject({ key: 'sha256-now' });
    expect(late.calls).toEqual(['sha256-now']);
  });
});
