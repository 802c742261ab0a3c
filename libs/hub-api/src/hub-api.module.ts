import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Mirror } from '@dingo/mirror';
import { HubController } from './hub.controller';
import { HubMetrics } from './hub-metrics';
import { OpsController } from './ops.controller';

/** The Hub-compatible HTTP surface over a Mirror built elsewhere (gateway or edge). */
/** Closes the mirror (upstream sockets, database) when Nest shuts down. */
class MirrorLifecycle implements OnApplicationShutdown {
  constructor(private readonly mirror: Mirror) {}
  async onApplicationShutdown(): Promise<void> {
    await this.mirror.close();
  }
}

@Module({})
export class HubApiModule {
  static forMirror(mirrorFactory: () => Promise<Mirror>): DynamicModule {
    return {
      module: HubApiModule,
      imports: [TerminusModule],
      // Ops routes first: the hub controller's catch-all would otherwise take /health.
      controllers: [OpsController, HubController],
      providers: [
        { provide: Mirror, useFactory: mirrorFactory },
        { provide: MirrorLifecycle, useFactory: (m: Mirror) => new MirrorLifecycle(m), inject: [Mirror] },
        { provide: HubMetrics, useFactory: (m: Mirror) => new HubMetrics(m), inject: [Mirror] },
      ],
      exports: [Mirror],
    };
  }
}
