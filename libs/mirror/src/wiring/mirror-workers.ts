import { DingoConfig } from '@dingo/config';
import { Mirror } from '../mirror';
import { MirrorAdapters } from '../mirror-adapters';

/**
 * Makes this process work the mirror's pull queues (the embedded gateway, or a sync-worker) and
 * run the background scrub of stored chunks. Called by the app that runs workers, never by the
 * façade itself.
 */
export function runMirrorWorkers(mirror: Mirror, adapters: MirrorAdapters, config: DingoConfig): void {
  adapters.pullChunk.process(mirror.jobs.pullChunk, config.maxConcurrentPulls);
  adapters.pullFile.process(mirror.jobs.pullFile, Math.max(1, Math.floor(config.maxConcurrentPulls / 4)));
  adapters.pullSnapshot.process(mirror.jobs.pullSnapshot, 1);
  mirror.startHousekeeping();
}
