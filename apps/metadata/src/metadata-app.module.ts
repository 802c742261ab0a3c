import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { DingoConfig } from '@dingo/config';
import { METADATA_PORT, metadataRpcController, MetadataPort, RedisQueueServer } from '@dingo/metadata-store';
import { ServiceHealthModule } from '@dingo/ops';

/** Serves the metadata port from the Redis queue; owns the database and its migrations. */
@Module({})
export class MetadataAppModule {
  static forStore(
    config: DingoConfig,
    store: MetadataPort,
    release: () => Promise<void>,
    transport: RedisQueueServer,
  ): DynamicModule {
    const lifecycle: OnApplicationShutdown = { onApplicationShutdown: release };
    return {
      module: MetadataAppModule,
      imports: [
        ServiceHealthModule.forChecks(async () => ({
          database: () => store.ping(),
          redis: () => transport.ping(),
        })),
      ],
      controllers: [metadataRpcController(config.namespace)],
      providers: [
        { provide: METADATA_PORT, useValue: store },
        { provide: 'MetadataLifecycle', useValue: lifecycle },
      ],
    };
  }
}
