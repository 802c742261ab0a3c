import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { createDistributedMirror, Mirror } from '@dingo/mirror';
import { ServiceHealthModule } from '@dingo/ops';

/**
 * Works the pull-chunk queue: pulls chunks from upstream into the shared chunk store, at most
 * `maxConcurrentPulls` at once and `maxBandwidthBytesPerSec` in all, under the cluster lock.
 */
@Module({})
export class SyncWorkerModule {
  static forConfig(config: DingoConfig): DynamicModule {
    let mirror: Promise<Mirror> | undefined;
    const mirrorOnce = () => (mirror ??= createDistributedMirror(config, { role: 'worker' }));
    return {
      module: SyncWorkerModule,
      imports: [
        ServiceHealthModule.forChecks(async () => {
          const m = await mirrorOnce();
          return { metadata: () => m.adapters.meta.ping(), chunkStore: () => m.adapters.store.ping() };
        }),
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
