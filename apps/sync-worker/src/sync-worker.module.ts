import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { Registry } from 'prom-client';
import { createDistributedMirror, Mirror, registerMirrorMetrics } from '@dingo/mirror';
import { ServiceHealthModule } from '@dingo/ops';

/**
 * Works the pull-chunk queue: pulls chunks from upstream into the shared chunk store, at most
 * `maxConcurrentPulls` at once and `maxBandwidthBytesPerSec` in all, under the cluster lock.
 */
@Module({})
export class SyncWorkerModule {
  static forConfig(config: DingoConfig): DynamicModule {
    const registry = new Registry();
    let mirror: Promise<Mirror> | undefined;
    const mirrorOnce = () =>
      (mirror ??= createDistributedMirror(config, { role: 'worker' }).then((m) => {
        registerMirrorMetrics(m, registry);
        return m;
      }));
    return {
      module: SyncWorkerModule,
      imports: [
        ServiceHealthModule.forChecks(async () => {
          const m = await mirrorOnce();
          return { metadata: () => m.adapters.meta.ping(), chunkStore: () => m.adapters.store.ping() };
        }, registry),
      ],
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
