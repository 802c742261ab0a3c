import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameShare {
  frame: string;
  /** Share of all samples, in percent. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  durationS: number;
  samples: number;
  /** Samples where V8 ran no JS: waiting in the event loop (I/O, timers). */
  idlePercent: number;
  /** Time spent in the frame itself. */
  topSelf: FrameShare[];
  /** Time spent in the frame and everything it called (each frame counted once per sample). */
  topTotal: FrameShare[];
  /** Self time grouped by where the code lives: project libs, node_modules packages, node internals, native. */
  byArea: FrameShare[];
}

/** Reads a V8 .cpuprofile and names where the samples fall. */
export function summarizeProfile(path: string, repoRoot: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const label = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    if (!url) return name;
    const file = url.startsWith('file://') ? relative(repoRoot, url.slice(7)) : url;
    return `${name} ${file}:${lineNumber + 1}`;
  };
  const area = (n: ProfileNode): string => {
    const { functionName, url } = n.callFrame;
    if (!url) return functionName.startsWith('(') ? functionName : `native: ${functionName || '(anonymous)'}`;
    if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return `npm: ${nm[1]}`;
    const lib = /(libs|apps)\/([^/]+)/.exec(url);
    if (lib) return `${lib[1]}/${lib[2]}`;
    return url.startsWith('file://') ? relative(repoRoot, url.slice(7)) : url;
  };

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let idle = 0;
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') idle++;
    bump(self, label(node));
    bump(areas, area(node));
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (!seen.has(l)) {
        seen.add(l);
        bump(total, l);
      }
    }
  }
  const n = profile.samples.length || 1;
  const rank = (m: Map<string, number>, skip: (k: string) => boolean = () => false) =>
    [...m.entries()]
      .filter(([k]) => !skip(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, count]) => ({ frame, percent: Math.round((count / n) * 1000) / 10 }));
  return {
    file: relative(repoRoot, path),
    durationS: (profile.endTime - profile.startTime) / 1e6,
    samples: profile.samples.length,
    idlePercent: Math.round((idle / n) * 1000) / 10,
    topSelf: rank(self),
    // The root and program frames contain everything: not informative.
    topTotal: rank(total, (k) => k === '(root)' || k === '(program)' || k === '(idle)'),
    byArea: rank(areas),
  };
}
