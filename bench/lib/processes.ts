import { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export const LOOPBACK = '127.0.0.1';

const orphans = new Set<ChildProcess>();

/**
 * Children without an IPC channel (nginx) do not notice the bench dying: they get SIGTERM when
 * this process exits, however it exits.
 */
export function endWithBench(child: ChildProcess): void {
  orphans.add(child);
  child.once('exit', () => orphans.delete(child));
}

process.once('exit', () => {
  for (const child of orphans) child.kill('SIGTERM');
});

/** A free TCP port on loopback (the kernel picks it; a tiny race with other programs remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last few KiB a child wrote, to explain a failure. */
export function captureOutput(child: ChildProcess, limit = 8192): () => string {
  let text = '';
  const keep = (data: Buffer) => {
    text = (text + data.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

/** Polls `url` until it answers 2xx; fails early when `child` exits. */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `process exited (${child.exitCode ?? child.signalCode}) before ${url} answered:\n${output()}`,
      );
    }
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.dump();
      if (res.statusCode < 300) return;
      last = `HTTP ${res.statusCode}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last}):\n${output()}`);
}

/** Ends a child we started: `polite` first, then SIGTERM, then SIGKILL. */
export async function stopChild(child: ChildProcess, polite?: () => void, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) => Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  try {
    if (polite) polite();
    else child.kill('SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  if (await within(graceMs)) return;
  child.kill('SIGTERM');
  if (await within(graceMs)) return;
  child.kill('SIGKILL');
  await exited;
}
