import { readFileSync, writeFileSync } from 'node:fs';

const KiB = 1024;

/** VmRSS / VmHWM of a live process, in bytes, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * KiB;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * Peak resident memory of a set of processes over a window. The kernel's own high-water mark
 * (VmHWM) is reset at the start of the window (`echo 5 > /proc/<pid>/clear_refs`) so it covers the
 * window alone; a 50 ms VmRSS sampler backs it up where the reset is not permitted. For several
 * processes (distributed mode) the peak of the sampled sum is reported.
 */
export class PeakRssWindow {
  private sampledPeak = 0;
  private hwmReset = true;
  private readonly timer: NodeJS.Timeout;
  private result?: { peak: number; sampledPeak: number; source: 'VmHWM' | 'VmRSS samples' };

  constructor(private readonly pids: number[]) {
    for (const pid of pids) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        this.hwmReset = false;
      }
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  private sample(): void {
    let sum = 0;
    for (const pid of this.pids) sum += memoryOf(pid)?.rss ?? 0;
    this.sampledPeak = Math.max(this.sampledPeak, sum);
  }

  /** Ends the window; `peak` is VmHWM when it could be reset (single process), else the sampled peak. */
  stop(): { peak: number; sampledPeak: number; source: 'VmHWM' | 'VmRSS samples' } {
    if (this.result) return this.result;
    clearInterval(this.timer);
    this.sample();
    this.result = { peak: this.sampledPeak, sampledPeak: this.sampledPeak, source: 'VmRSS samples' };
    if (this.hwmReset && this.pids.length === 1) {
      const hwm = memoryOf(this.pids[0])?.hwm;
      if (hwm !== undefined && !Number.isNaN(hwm)) {
        this.result = {
          peak: Math.max(hwm, this.sampledPeak),
          sampledPeak: this.sampledPeak,
          source: 'VmHWM',
        };
      }
    }
    return this.result;
  }
}
