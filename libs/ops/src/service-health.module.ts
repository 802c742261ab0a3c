import { Controller, DynamicModule, Get, Inject, Module, Res } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { Response } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Named dependency checks: each resolves when the dependency answers (an object result is reported as details). */
export type DependencyChecks = Record<string, () => Promise<unknown>>;

const CHECKS = Symbol('DependencyChecks');
const REGISTRY = Symbol('MetricsRegistry');

@Controller()
class ServiceHealthController {
  constructor(
    @Inject(CHECKS) private readonly checks: DependencyChecks,
    @Inject(REGISTRY) private readonly registry: Registry,
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check(
      Object.entries(this.checks).map(([name, ping]) => async () => {
        const indicator = this.indicator.check(name);
        try {
          const details = await ping();
          return details && typeof details === 'object'
            ? indicator.up(details as Record<string, unknown>)
            : indicator.up();
        } catch (err) {
          return indicator.down({ message: (err as Error).message });
        }
      }),
    );
  }

  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.registry.contentType);
    res.end(await this.registry.metrics());
  }
}

/** `/health` (terminus, 503 when a dependency is down) and `/metrics` for the non-HTTP services. */
@Module({})
export class ServiceHealthModule {
  static forChecks(checks: () => Promise<DependencyChecks>, registry = new Registry()): DynamicModule {
    collectDefaultMetrics({ register: registry, prefix: 'dingo_' });
    return {
      module: ServiceHealthModule,
      imports: [TerminusModule],
      controllers: [ServiceHealthController],
      providers: [
        { provide: CHECKS, useFactory: checks },
        { provide: REGISTRY, useValue: registry },
      ],
    };
  }
}
