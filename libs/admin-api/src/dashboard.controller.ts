import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Registry } from 'prom-client';
import { RequestAccess, Requires } from '@dingo/auth';
import { Mirror } from '@dingo/mirror';
import { AuditQueryService } from './audit-query.service';
import { Caller } from './caller';
import { CACHE_MIRROR } from './cache.service';
import { StorageService } from './storage.service';

/** The Prometheus registry the Hub surface counts requests in (the gateway passes the same one). */
export const METRICS_REGISTRY = Symbol('MetricsRegistry');

type Sample = { labels: Record<string, string | number>; value: number };

const DASHBOARD_SCHEMA = {
  type: 'object',
  properties: {
    files: {
      type: 'object',
      description:
        'File downloads (resolve routes) by cache outcome, and the hit rate over hit/miss/partial/stale',
      properties: {
        requests: { type: 'number' },
        byCache: { type: 'object', additionalProperties: { type: 'number' } },
        hitRate: { type: 'number', nullable: true },
      },
    },
    servedBytes: {
      type: 'object',
      properties: { cache: { type: 'number' }, upstream: { type: 'number' } },
    },
    upstream: {
      type: 'object',
      properties: {
        offline: { type: 'boolean' },
        origins: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              origin: { type: 'string' },
              up: { type: 'boolean' },
              latencyMs: { type: 'number' },
              errors: { type: 'number' },
            },
          },
        },
        upstreamBytes: { type: 'number' },
      },
    },
    storage: {
      type: 'object',
      properties: {
        tiers: { type: 'array', items: { type: 'object' } },
        storedBytes: { type: 'number' },
        quotaBytes: { type: 'number', description: '0: no quota' },
        minFreeBytes: { type: 'number' },
        disk: {
          type: 'object',
          properties: { freeBytes: { type: 'number' }, sizeBytes: { type: 'number' } },
        },
      },
    },
    queues: { type: 'object' },
    topRepos: { type: 'array', items: { type: 'object' } },
    recentErrors: { type: 'array', items: { type: 'object' } },
  },
};

/** One JSON answer for the console's dashboard: what `/metrics` and the storage/audit endpoints know. */
@ApiTags('dashboard')
@ApiBearerAuth()
@Controller('admin/v1/dashboard')
export class DashboardController {
  constructor(
    @Inject(StorageService) private readonly storage: StorageService,
    @Inject(AuditQueryService) private readonly audit: AuditQueryService,
    @Optional() @Inject(CACHE_MIRROR) private readonly mirror?: Mirror,
    @Optional() @Inject(METRICS_REGISTRY) private readonly registry?: Registry,
  ) {}

  @Get()
  @Requires('read', 'AuditEvent')
  @ApiOperation({
    summary:
      'Hit rate, bytes served by source, upstream health and latency, disk per tier and quota, top repos, recent errors',
  })
  @ApiOkResponse({ schema: DASHBOARD_SCHEMA })
  async summary(@Caller() caller: RequestAccess) {
    const metrics = await this.samples();
    const byCache: Record<string, number> = {};
    for (const s of metrics.get('dingo_http_requests_total') ?? [])
      if (s.labels.route === 'resolve' && (s.labels.method === 'GET' || s.labels.method === 'HEAD')) {
        const cache = String(s.labels.cache);
        byCache[cache] = (byCache[cache] ?? 0) + s.value;
      }
    const hit = byCache.hit ?? 0;
    const counted = hit + (byCache.miss ?? 0) + (byCache.partial ?? 0) + (byCache.stale ?? 0);
    const servedBytes = { cache: 0, upstream: 0 };
    for (const s of metrics.get('dingo_served_bytes_total') ?? [])
      if (s.labels.source === 'cache' || s.labels.source === 'upstream')
        servedBytes[s.labels.source] += s.value;
    const errorsByOrigin = new Map<string, number>();
    for (const s of metrics.get('dingo_upstream_errors_total') ?? []) {
      const origin = String(s.labels.origin);
      errorsByOrigin.set(origin, (errorsByOrigin.get(origin) ?? 0) + s.value);
    }
    const mirror = this.mirror;
    const health = mirror?.upstreamHealth() ?? { offline: false, origins: [] };
    const usage = mirror ? await this.storage.usage(caller.ability, 10) : undefined;
    const recent = await this.audit.query({ limit: 500 });
    return {
      files: {
        requests: Object.values(byCache).reduce((n, v) => n + v, 0),
        byCache,
        hitRate: counted ? hit / counted : null,
      },
      servedBytes,
      upstream: {
        offline: health.offline,
        origins: health.origins.map((o) => ({ ...o, errors: errorsByOrigin.get(o.origin) ?? 0 })),
        upstreamBytes: mirror?.stats().upstreamBytes ?? 0,
      },
      storage: {
        tiers: usage?.tiers ?? [],
        storedBytes: usage?.storedBytes ?? 0,
        quotaBytes: mirror?.config.maxCacheBytes ?? 0,
        minFreeBytes: mirror?.config.minFreeBytes ?? 0,
        disk: mirror ? mirror.dataDisk() : null,
      },
      queues: mirror ? await mirror.queueDepths() : {},
      topRepos: usage?.repos ?? [],
      recentErrors: recent.items.filter((e) => (e.status ?? 0) >= 400).slice(0, 20),
    };
  }

  private async samples(): Promise<Map<string, Sample[]>> {
    const out = new Map<string, Sample[]>();
    if (!this.registry) return out;
    for (const metric of await this.registry.getMetricsAsJSON())
      out.set(metric.name, (metric as unknown as { values: Sample[] }).values ?? []);
    return out;
  }
}
