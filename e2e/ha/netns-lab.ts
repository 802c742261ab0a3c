import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Why the HA suite cannot run here (not root, no `ip netns`, no keepalived...): it fails with this. */
export class LabUnavailableError extends Error {}

export interface LabProcess {
  name: string;
  ns: string;
  child: ChildProcess;
  log: string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const PREFIX = 'dha';

/**
 * A small network of Linux network namespaces, as a test builds it: hosts joined by veth pairs to a
 * bridge that lives in a namespace of its own, so no address, route or process of the lab touches
 * the root namespace. Every process the lab starts is tracked, and teardown kills everything still
 * running in the lab's namespaces (`ip netns pids`) before deleting them, also after a failure.
 */
export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly processes: LabProcess[] = [];
  readonly id = `${PREFIX}${process.pid}`;

  private constructor(readonly logDir: string) {}

  /** Checks that namespaces can be made here, removes what crashed runs left, and returns a lab. */
  static async create(logDir: string): Promise<NetnsLab> {
    if (process.platform !== 'linux') throw new LabUnavailableError('network namespaces need Linux');
    if (process.getuid?.() !== 0) throw new LabUnavailableError('network namespaces need root');
    const probe = `${PREFIX}probe${process.pid}`;
    try {
      await exec('ip', ['netns', 'add', probe]);
      await exec('ip', ['netns', 'del', probe]);
    } catch (err) {
      throw new LabUnavailableError(`cannot create a network namespace: ${(err as Error).message.trim()}`);
    }
    await NetnsLab.removeStale();
    return new NetnsLab(logDir);
  }

  /** Namespaces of earlier runs whose jest process is gone (killed before its teardown ran). */
  private static async removeStale(): Promise<void> {
    const dir = '/run/netns';
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const m = /^dha(\d+)-/.exec(name);
      if (!m || existsSync(`/proc/${m[1]}`)) continue;
      await killAllIn(name);
      await exec('ip', ['netns', 'del', name]).catch(() => undefined);
    }
  }

  ns(host: string): string {
    return `${this.id}-${host}`;
  }

  async addHost(host: string): Promise<string> {
    const ns = this.ns(host);
    await exec('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await this.run(host, ['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Runs a command to completion in a host's namespace; rejects with its stderr on failure. */
  async run(host: string, argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}) {
    try {
      return await exec('ip', ['netns', 'exec', this.ns(host), ...argv], {
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as Error & { stderr?: string; code?: number };
      throw Object.assign(new Error(`[${host}] ${argv.join(' ')}: ${e.message}\n${e.stderr ?? ''}`), {
        exitCode: typeof e.code === 'number' ? e.code : -1,
      });
    }
  }

  /** Like run, but resolves with the exit code instead of rejecting. */
  async status(
    host: string,
    argv: string[],
    opts: { env?: Record<string, string>; timeoutMs?: number } = {},
  ) {
    try {
      const { stdout } = await this.run(host, argv, opts);
      return { code: 0, stdout };
    } catch (err) {
      return { code: (err as { exitCode?: number }).exitCode ?? -1, stdout: '' };
    }
  }

  /**
   * A switch: a bridge in its own namespace, and one veth per host, named `eth0` inside the host.
   * `shape` limits what the switch sends to that host (tc tbf), e.g. '48mbit', to make downloads last.
   */
  async connect(
    sw: string,
    hosts: { host: string; address: string; shape?: string }[],
    prefixLength = 24,
  ): Promise<void> {
    await this.run(sw, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    await this.run(sw, ['ip', 'link', 'set', 'br0', 'up']);
    for (const { host, address, shape } of hosts) {
      const port = `p-${host}`;
      await this.run(sw, [
        'ip',
        'link',
        'add',
        port,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        this.ns(host),
      ]);
      await this.run(sw, ['ip', 'link', 'set', port, 'master', 'br0', 'up']);
      await this.run(host, ['ip', 'addr', 'add', `${address}/${prefixLength}`, 'dev', 'eth0']);
      await this.run(host, ['ip', 'link', 'set', 'eth0', 'up']);
      if (shape) {
        await this.run(sw, [
          'tc',
          'qdisc',
          'add',
          'dev',
          port,
          'root',
          'tbf',
          'rate',
          shape,
          'burst',
          '32kb',
          'latency',
          '20ms',
        ]);
      }
    }
  }

  async macOf(host: string, dev = 'eth0'): Promise<string> {
    const { stdout } = await this.run(host, ['cat', `/sys/class/net/${dev}/address`]);
    return stdout.trim();
  }

  /** Starts a long-running process in a host's namespace; its output goes to `<logDir>/<name>.log`. */
  spawn(
    host: string,
    name: string,
    argv: string[],
    env: Record<string, string> = {},
    cwd?: string,
  ): LabProcess {
    const ns = this.ns(host);
    // `ip netns exec` execs the command: the child's pid is the process itself (kill -9 kills it).
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      env: { ...process.env, ...env },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const file = createWriteStream(`${this.logDir}/${name}.log`, { flags: 'a' });
    const proc: LabProcess = {
      name,
      ns,
      child,
      log: '',
      exited: new Promise((resolve) =>
        child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
      ),
      output: () => proc.log,
      async kill(signal: NodeJS.Signals = 'SIGTERM') {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await proc.exited;
        clearTimeout(timer);
      },
    };
    const keep = (d: Buffer) => {
      proc.log += d.toString();
      if (proc.log.length > 2_000_000) proc.log = proc.log.slice(-1_000_000);
      file.write(d);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', () => file.end());
    this.processes.push(proc);
    return proc;
  }

  /** Kills every process in the lab's namespaces, then deletes them. Safe to call twice. */
  async teardown(): Promise<void> {
    for (const p of [...this.processes].reverse()) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    }
    await Promise.race([
      Promise.all(this.processes.map((p) => p.exited)),
      new Promise((r) => setTimeout(r, 5_000)),
    ]);
    for (const ns of this.namespaces.splice(0).reverse()) {
      await killAllIn(ns);
      await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
  }
}

/** SIGKILL for whatever still runs in a namespace (forked children: keepalived's VRRP process, curl...). */
async function killAllIn(ns: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const { stdout } = await exec('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    const pids = stdout
      .split('\n')
      .map(Number)
      .filter((p) => p > 0);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
