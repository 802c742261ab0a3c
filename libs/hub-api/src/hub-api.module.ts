import {
  DynamicModule,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Registry } from 'prom-client';
import { PublicBase } from '@dingo/contracts';
import { Mirror } from '@dingo/mirror';
import { ServiceHealthModule } from '@dingo/ops';
import { ConnectionDrain } from './connection-drain';
import { FileResponder } from './file-responder';
import { HubController } from './hub.controller';
import { HubMetrics } from './hub-metrics';

/** Closes the mirror (upstream sockets, database) when Nest shuts down. */
class MirrorLifecycle implements OnApplicationShutdown {
  constructor(private readonly mirror: Mirror) {}
  async onApplicationShutdown(): Promise<void> {
    await this.mirror.close();
  }
}

/** The Hub routes (a `{*path}` catch-all) and the services they use; every request is measured. */
@Module({})
class HubRoutesModule implements NestModule {
  constructor(@Inject(HubMetrics) private readonly metrics: HubMetrics) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.metrics.middleware).forRoutes('*');
  }

  static forMirror(mirror: () => Promise<Mirror>, registry: Registry): DynamicModule {
    return {
      module: HubRoutesModule,
      controllers: [HubController],
      providers: [
        { provide: Mirror, useFactory: mirror },
        { provide: MirrorLifecycle, useFactory: (m: Mirror) => new MirrorLifecycle(m), inject: [Mirror] },
        { provide: HubMetrics, useFactory: (m: Mirror) => new HubMetrics(m, registry), inject: [Mirror] },
        { provide: PublicBase, useFactory: (m: Mirror) => new PublicBase(m.config), inject: [Mirror] },
        FileResponder,
        ConnectionDrain,
      ],
      exports: [Mirror],
    };
  }
}

/**
 * The Hub-compatible HTTP surface over a Mirror built elsewhere (gateway or edge), with `/health`
 * (metadata and chunk store; upstream state is reported but never fails the check: serving from
 * cache while upstream is down is the job) and `/metrics`.
 */
@Module({})
export class HubApiModule {
  /** `registry`: where `/metrics` reads from; pass one to read the same counters elsewhere (the admin dashboard). */
  static forMirror(mirrorFactory: () => Promise<Mirror>, registry = new Registry()): DynamicModule {
    let mirror: Promise<Mirror> | undefined;
    const mirrorOnce = () => (mirror ??= mirrorFactory());
    return {
      module: HubApiModule,
      // Nest registers routes in module discovery order: health before the Hub's catch-all.
      imports: [
        ServiceHealthModule.forChecks(async () => {
          const m = await mirrorOnce();
          return { ...m.healthChecks(), upstream: async () => m.upstreamHealth() };
        }, registry),
        HubRoutesModule.forMirror(mirrorOnce, registry),
      ],
      exports: [HubRoutesModule],
    };
  }
}
