import { DingoConfig } from '@dingo/config';
import { JobHandler } from '@dingo/jobs';
import { Mirror, QueueName } from '../mirror';
import { MirrorAdapters } from '../mirror-adapters';

/**
 * Makes this process work the mirror's pull queues (the embedded gateway, or a sync-worker) and
 * run the background scrub of stored chunks. Called by the app that runs workers, never by the
 * façade itself.
 */
export function runMirrorWorkers(mirror: Mirror, adapters: MirrorAdapters, config: DingoConfig): void {
  const counted =
    <T>(queue: QueueName, handler: JobHandler<T>): JobHandler<T> =>
    async (job, ctx) => {
      try {
        await handler(job, ctx);
        mirror.countJob(queue, 'completed');
      } catch (err) {
        mirror.countJob(queue, 'failed');
        throw err;
      }
    };
  adapters.pullChunk.process(counted('pull-chunk', mirror.jobs.pullChunk), config.maxConcurrentPulls);
  adapters.pullFile.process(
    counted('pull-file', mirror.jobs.pullFile),
    Math.max(1, Math.floor(config.maxConcurrentPulls / 4)),
  );
  adapters.pullSnapshot.process(counted('pull-repo-snapshot', mirror.jobs.pullSnapshot), 1);
  mirror.startHousekeeping();
}
