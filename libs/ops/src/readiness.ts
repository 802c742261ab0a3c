import { ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';

/** Named dependency checks: each resolves when the dependency answers (an object result is reported as details). */
export type DependencyChecks = Record<string, () => Promise<unknown>>;

export interface ReadinessReport {
  ok: boolean;
  /** The terminus body: `status`, `info` (up), `error` (down, with a message each), `details`. */
  body: HealthCheckResult | Record<string, unknown>;
}

class CheckTimeout extends Error {}

/**
 * Runs the dependency checks for readiness. Concurrent callers share one run (a load balancer,
 * Keepalived and Prometheus polling together cost one round of pings, and dependencies see no
 * burst); each check has a deadline, so the answer always comes within about `timeoutMs`.
 */
export class Readiness {
  private running?: Promise<ReadinessReport>;
  private stopping = false;

  constructor(
    private readonly checks: DependencyChecks,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly timeoutMs: number,
  ) {}

  /** From now on the service reports itself not ready: it is shutting down. */
  shuttingDown(): void {
    this.stopping = true;
  }

  check(): Promise<ReadinessReport> {
    if (this.stopping) {
      return Promise.resolve({
        ok: false,
        body: { status: 'error', info: {}, error: { process: { status: 'down', message: 'shutting down' } } },
      });
    }
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<ReadinessReport> {
    try {
      return {
        ok: true,
        body: await this.health.check(
          Object.entries(this.checks).map(
            ([n, c]) =>
              () =>
                this.one(n, c),
          ),
        ),
      };
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        return { ok: false, body: err.getResponse() as Record<string, unknown> };
      }
      throw err;
    }
  }

  private async one(name: string, ping: () => Promise<unknown>) {
    const indicator = this.indicators.check(name);
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CheckTimeout(`no answer within ${this.timeoutMs} ms`)),
          this.timeoutMs,
        );
      });
      const details = await Promise.race([ping(), deadline]);
      return details && typeof details === 'object'
        ? indicator.up(details as Record<string, unknown>)
        : indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
