import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The process and its descendants (nginx: master + workers). */
export function withDescendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const children = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** User + system CPU seconds consumed so far by `pids` (processes that exited are not counted). */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may contain spaces) start at field 3 (state).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    } catch {
      /* gone */
    }
  }
  return ticks / clockTicks();
}

/** CPU seconds of this process's children that have exited and been reaped (cutime + cstime). */
export function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / clockTicks(); // cutime, cstime (fields 16, 17)
}

/**
 * Waits until `pids` stop using CPU (at most 2% of a core over `quietMs`): background work of the
 * mirror (verification of a blob just pulled, read-ahead) must not run into the next measurement.
 */
export async function waitForQuiet(pids: number[], quietMs = 600, timeoutMs = 120_000): Promise<number> {
  const started = Date.now();
  let last = cpuSeconds(pids);
  while (Date.now() - started < timeoutMs) {
    await sleep(quietMs);
    const now = cpuSeconds(pids);
    if (now - last <= (0.02 * quietMs) / 1000) return (Date.now() - started) / 1000;
    last = now;
  }
  return (Date.now() - started) / 1000;
}

/** Machine-wide CPU from /proc/stat: busy seconds (all cores, steal excluded) and steal seconds. */
export function machineCpu(): { busyS: number; stealS: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return {
    busyS: (user + nice + system + irq + softirq) / clockTicks(),
    stealS: (steal || 0) / clockTicks(),
  };
}

/**
 * How much of the machine something other than the bench used over a window: on a shared 2-core
 * machine this is the noise the numbers were taken under. `ownCpuS` must count every process of
 * the bench (itself, reaped children, live children such as the simulator).
 */
export class ForeignLoadWindow {
  private readonly start = { ...machineCpu(), own: 0, at: Date.now() };

  constructor(private readonly ownCpuS: () => number) {
    this.start.own = ownCpuS();
  }

  stop(): { foreignCpuS: number; foreignCores: number; stealS: number } {
    const now = machineCpu();
    const wallS = (Date.now() - this.start.at) / 1000 || 1;
    const foreign = Math.max(0, now.busyS - this.start.busyS - (this.ownCpuS() - this.start.own));
    return {
      foreignCpuS: Math.round(foreign * 10) / 10,
      foreignCores: Math.round((foreign / wallS) * 100) / 100,
      stealS: Math.round((now.stealS - this.start.stealS) * 10) / 10,
    };
  }
}

/** CPU seconds of this process plus its reaped children plus the live `pids`. */
export function benchCpuSeconds(livePids: number[]): number {
  const self = process.cpuUsage();
  return (self.user + self.system) / 1e6 + childrenCpuSeconds() + cpuSeconds(livePids);
}

/**
 * Waits (at most `maxWaitS`) until programs other than the bench use less than `maxCores` over a
 * 2-second window, so a scenario does not start in the middle of someone's test suite on a shared
 * machine. Returns the load seen last.
 */
export async function waitForQuietMachine(
  ownCpuS: () => number,
  maxWaitS: number,
  maxCores = 0.25,
): Promise<{ waitedS: number; foreignCores: number }> {
  const started = Date.now();
  for (;;) {
    const window = new ForeignLoadWindow(ownCpuS);
    await sleep(2000);
    const { foreignCores } = window.stop();
    const waitedS = (Date.now() - started) / 1000;
    if (foreignCores < maxCores || waitedS >= maxWaitS) return { waitedS, foreignCores };
  }
}
