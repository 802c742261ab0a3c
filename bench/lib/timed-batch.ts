import { cpuSeconds } from './cpu-time';
import { TransferBatch } from './download-clients';
import { PeakRssWindow } from './rss';

/** Runs a download batch while counting the CPU seconds and the peak RSS of the server's `pids`. */
export async function timedBatch(
  load: () => Promise<TransferBatch>,
  pids: number[],
): Promise<{ batch: TransferBatch; cpu: number; peak: number }> {
  const window = new PeakRssWindow(pids);
  const cpuBefore = cpuSeconds(pids);
  try {
    const batch = await load();
    return { batch, cpu: cpuSeconds(pids) - cpuBefore, peak: window.stop().peak };
  } finally {
    window.stop();
  }
}
