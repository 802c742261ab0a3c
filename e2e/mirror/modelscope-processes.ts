import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** A simulator running as its own process (hub or ModelScope), started from a script under the repo. */
export interface SimProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

/**
 * Runs `node -r @swc-node/register <script> ...args` and waits for the line
 * `<something> listening on <url>` it prints once it accepts connections.
 */
export async function startSimProcess(
  script: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<SimProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, script), ...args], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start:\n${log}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      log += d;
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (log += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    child,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
