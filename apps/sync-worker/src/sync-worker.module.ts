import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { Registry } from 'prom-client';
import { createDistributedAdapters, Mirror, registerMirrorMetrics, runMirrorWorkers } from '@dingo/mirror';
import { ServiceHealthModule } from '@dingo/ops';

/**
 * Works the pull queues: pulls chunks from upstream into the shared chunk store, at most
 * `maxConcurrentPulls` at once and `maxBandwidthBytesPerSec` in all, under the cluster lock; and
 * scrubs the stored chunks in the background.
 */
@Module({})
export class SyncWorkerModule {
  static forConfig(config: DingoConfig): DynamicModule {
    const registry = new Registry();
    let mirror: Promise<Mirror> | undefined;
    const mirrorOnce = () =>
      (mirror ??= createDistributedAdapters(config, { role: 'worker' }).then((adapters) => {
        const m = new Mirror(config, adapters);
        runMirrorWorkers(m, adapters, config);
        registerMirrorMetrics(m, registry);
        return m;
      }));
    return {
      module: SyncWorkerModule,
      imports: [ServiceHealthModule.forChecks(async () => (await mirrorOnce()).healthChecks(), registry)],
      providers: [
        {
          provide: 'SyncWorkerLifecycle',
          useFactory: async (): Promise<OnApplicationShutdown> => {
            const m = await mirrorOnce();
            return { onApplicationShutdown: () => m.close() };
          },
        },
      ],
    };
  }
}
