import {
  BeforeApplicationShutdown,
  Controller,
  DynamicModule,
  Get,
  Inject,
  Module,
  Res,
} from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { Response } from 'express';
import { DINGO_VERSION } from '@dingo/config';
import { Registry } from 'prom-client';
import { registerProcessMetrics } from './process-metrics';
import { DependencyChecks, Readiness, ReadinessReport } from './readiness';

export interface ServiceHealthOptions {
  /** A dependency that has not answered within this is reported down (default 1000 ms). */
  checkTimeoutMs?: number;
}

const READINESS = Symbol('Readiness');
const REGISTRY = Symbol('MetricsRegistry');

/**
 * `/health/live`: the process answers (no dependency is asked; restart it when this fails).
 * `/health/ready` (and `/health`, as before): every dependency answers; 503 with the terminus body
 * naming the failing ones otherwise, and 503 from the moment the process starts shutting down, so
 * a load balancer or Keepalived moves traffic away while in-flight downloads finish.
 */
@Controller('health')
class ServiceHealthController implements BeforeApplicationShutdown {
  constructor(@Inject(READINESS) private readonly readiness: Readiness) {}

  @Get('live')
  live() {
    return {
      status: 'ok',
      version: DINGO_VERSION,
      info: { process: { status: 'up', uptimeSeconds: Math.round(process.uptime()) } },
    };
  }

  @Get()
  health(@Res({ passthrough: true }) res: Response) {
    return this.ready(res);
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const report: ReadinessReport = await this.readiness.check();
    // Answered here rather than thrown: the Hub's error filter would replace the body with a
    // generic "Service Unavailable Exception" and hide which dependency failed.
    res.status(report.ok ? 200 : 503);
    res.setHeader('Cache-Control', 'no-store');
    return { ...report.body, version: DINGO_VERSION };
  }

  beforeApplicationShutdown(): void {
    this.readiness.shuttingDown();
  }
}

@Controller()
class MetricsController {
  constructor(@Inject(REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.registry.contentType);
    res.end(await this.registry.metrics());
  }
}

/** `/health/live`, `/health/ready` (= `/health`) and `/metrics` for every DingoSpeed service. */
@Module({})
export class ServiceHealthModule {
  static forChecks(
    checks: () => Promise<DependencyChecks>,
    registry = new Registry(),
    options: ServiceHealthOptions = {},
  ): DynamicModule {
    registerProcessMetrics(registry);
    return {
      module: ServiceHealthModule,
      imports: [TerminusModule],
      controllers: [ServiceHealthController, MetricsController],
      providers: [
        {
          provide: READINESS,
          useFactory: async (health: HealthCheckService, indicators: HealthIndicatorService) =>
            new Readiness(await checks(), health, indicators, options.checkTimeoutMs ?? 1000),
          inject: [HealthCheckService, HealthIndicatorService],
        },
        { provide: REGISTRY, useValue: registry },
      ],
    };
  }
}
