import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { SimOptions, SimRepoSpec } from '@dingo/hub-simulator';
import { IpcClient } from './ipc';
import { captureOutput, stopChild } from './processes';
import type { SimFileSummary, SimInstanceName } from './simulator-process';

export type { SimFileSummary, SimInstanceName };

/**
 * The parent's handle on the simulator child: two simulators in it, `fast` (unshaped, the origin
 * of cache-hit and metadata scenarios) and `shaped` (per-connection bandwidth cap and latency, the
 * origin of the cold scenarios).
 */
export class SimulatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly ipc: IpcClient,
    readonly urls: Record<SimInstanceName, { hub: string; cdn: string }>,
  ) {}

  static async start(
    repoRoot: string,
    dataDir: string,
    instances: Record<SimInstanceName, Omit<SimOptions, 'dataDir'>>,
  ): Promise<SimulatorProcess> {
    const child = fork(join(__dirname, 'simulator-process.ts'), [], {
      cwd: repoRoot,
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output = captureOutput(child);
    const ipc = new IpcClient(child, 'simulator');
    try {
      const urls = await ipc.call<Record<SimInstanceName, { hub: string; cdn: string }>>('start', {
        dataDir,
        instances,
      });
      return new SimulatorProcess(child, ipc, urls);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${output()}`);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  addRepo(instance: SimInstanceName, spec: SimRepoSpec): Promise<SimFileSummary[]> {
    return this.ipc.call('addRepo', { instance, spec });
  }

  /** File content bytes the simulator wrote to sockets since the last reset (hub + CDN). */
  bytesServed(instance: SimInstanceName, sha256?: string): Promise<number> {
    return this.ipc.call('bytesServed', { instance, sha256 });
  }

  requestCount(
    instance: SimInstanceName,
    filter: { pathIncludes?: string; origin?: 'hub' | 'cdn' } = {},
  ): Promise<number> {
    return this.ipc.call('requestCount', { instance, ...filter });
  }

  /** Every request since the last reset, as `METHOD origin path [range]`. */
  requests(instance: SimInstanceName): Promise<string[]> {
    return this.ipc.call('requests', { instance });
  }

  resetStats(instance: SimInstanceName): Promise<void> {
    return this.ipc.call('resetStats', { instance });
  }

  async stop(): Promise<void> {
    await stopChild(this.child, () => void this.ipc.call('stop').catch(() => undefined));
  }
}
