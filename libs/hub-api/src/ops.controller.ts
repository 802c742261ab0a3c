import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Mirror } from '@dingo/mirror';
import { HubMetrics } from './hub-metrics';

/**
 * `/health` checks what the mirror cannot serve without (metadata, chunk store). Upstream state is
 * reported but never fails the check: serving from cache while upstream is down is the job.
 */
@Controller()
export class OpsController {
  constructor(
    @Inject(Mirror) private readonly mirror: Mirror,
    @Inject(HubMetrics) private readonly metrics: HubMetrics,
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.probe('metadata', () => this.mirror.adapters.meta.ping()),
      () => this.probe('chunkStore', () => this.mirror.adapters.store.ping()),
      async () =>
        this.indicator
          .check('upstream')
          .up({ offline: this.mirror.router.offline, origins: this.mirror.router.health() }),
    ]);
  }

  @Get('metrics')
  async prometheus(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.end(await this.metrics.registry.metrics());
  }

  private async probe(name: string, ping: () => Promise<void>) {
    const indicator = this.indicator.check(name);
    try {
      await ping();
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }
}
