// The upstream Hub simulator in a process of its own (forked by SimulatorProcess), so that its
// pacing timers and socket writes never share an event loop with the bench's clients or sampler.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HubSimulator, SimRepoSpec, SimOptions } from '@dingo/hub-simulator';
import { serveIpc } from './ipc';

/** `uplinkFast`/`uplinkSlow`: two upstreams with total caps of different speeds (two-source scenario). */
export type SimInstanceName = 'fast' | 'shaped' | 'uplinkFast' | 'uplinkSlow';

export interface SimFileSummary {
  repo: string;
  path: string;
  size: number;
  sha256: string;
  lfs: boolean;
  diskPath: string;
}

const sims = new Map<SimInstanceName, HubSimulator>();

function sim(name: SimInstanceName): HubSimulator {
  const s = sims.get(name);
  if (!s) throw new Error(`simulator ${name} not started`);
  return s;
}

serveIpc({
  async start(args: { dataDir: string; instances: Record<SimInstanceName, Omit<SimOptions, 'dataDir'>> }) {
    const urls: Record<string, { hub: string; cdn: string }> = {};
    for (const [name, opts] of Object.entries(args.instances) as [
      SimInstanceName,
      Omit<SimOptions, 'dataDir'>,
    ][]) {
      const dataDir = join(args.dataDir, name);
      mkdirSync(dataDir, { recursive: true, mode: 0o755 });
      const s = await HubSimulator.start({ ...opts, dataDir });
      sims.set(name, s);
      urls[name] = { hub: s.url, cdn: s.cdnUrl };
    }
    return urls;
  },
  async addRepo(args: { instance: SimInstanceName; spec: SimRepoSpec }): Promise<SimFileSummary[]> {
    const repo = await sim(args.instance).addRepo(args.spec);
    const head = repo.commits[repo.commits.length - 1];
    return [...head.files.values()].map((f) => ({
      repo: repo.id,
      path: f.path,
      size: f.size,
      sha256: f.sha256,
      lfs: f.lfs,
      diskPath: f.diskPath,
    }));
  },
  bytesServed(args: { instance: SimInstanceName; sha256?: string }) {
    return sim(args.instance).stats.bytesServed(args.sha256 ? { sha256: args.sha256 } : {});
  },
  requestCount(args: { instance: SimInstanceName; pathIncludes?: string; origin?: 'hub' | 'cdn' }) {
    return sim(args.instance).stats.count({ pathIncludes: args.pathIncludes, origin: args.origin });
  },
  /** Method, origin and path (query cut) of every request since the last reset. */
  requests(args: { instance: SimInstanceName }) {
    return sim(args.instance).stats.requests.map(
      (r) => `${r.method} ${r.origin} ${r.path.split('?')[0]}${r.range ? ` [${r.range}]` : ''}`,
    );
  },
  resetStats(args: { instance: SimInstanceName }) {
    sim(args.instance).stats.reset();
  },
  async stop() {
    await Promise.all([...sims.values()].map((s) => s.stop()));
    setImmediate(() => process.exit(0));
  },
});

process.on('disconnect', () => process.exit(0));
