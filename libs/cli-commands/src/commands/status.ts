import { CliError, EXIT } from '../cli-errors';
import { formatBytes } from '../format';
import { MirrorClient } from '../mirror-client';
import { CliOutput } from '../pull-progress';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, the samples only. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#') || !Number.isFinite(Number(m[3]))) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * `dingo status`: the mirror's readiness (metadata, chunk store, upstream), and from its metrics
 * the hit rate (bytes served from cache vs from upstream), disk use, and each upstream's state and
 * mean latency. Exit 5 when the mirror is unreachable or not ready.
 */
export async function statusCommand(
  client: MirrorClient,
  opts: { json: boolean },
  io: CliOutput,
): Promise<void> {
  let health: Record<string, unknown>;
  let ready = true;
  try {
    health = (await client.json<Record<string, unknown>>('/health')).body;
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== EXIT.unavailable || /unreachable/.test(err.message))
      throw err;
    ready = false;
    health = { status: 'error', detail: err.message };
  }
  const metrics = await client
    .send('/metrics')
    .then(async (res) => {
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c as Buffer);
      return parseMetrics(Buffer.concat(chunks).toString('utf8'));
    })
    .catch(() => [] as Sample[]);
  const sum = (name: string, match: (l: Record<string, string>) => boolean = () => true) =>
    metrics.filter((s) => s.name === name && match(s.labels)).reduce((a, s) => a + s.value, 0);
  const fromCache = sum('dingo_served_bytes_total', (l) => l.source === 'cache');
  const fromUpstream = sum('dingo_served_bytes_total', (l) => l.source === 'upstream');
  const diskFree = sum('dingo_data_disk_free_bytes');
  const diskSize = sum('dingo_data_disk_size_bytes');
  const origins = metrics
    .filter((s) => s.name === 'dingo_upstream_up')
    .map((s) => {
      const origin = s.labels.origin ?? s.labels.upstream ?? Object.values(s.labels)[0] ?? '?';
      const same = (l: Record<string, string>) => Object.values(l).includes(origin);
      const count = sum('dingo_upstream_response_seconds_count', same);
      const total = sum('dingo_upstream_response_seconds_sum', same);
      const gauge = (name: string) => metrics.find((m) => m.name === name && same(m.labels))?.value;
      const avg = gauge('dingo_upstream_latency_seconds');
      const throughput = gauge('dingo_upstream_throughput_bytes_per_second');
      const retryIn = gauge('dingo_upstream_retry_in_seconds');
      return {
        origin,
        up: s.value === 1,
        current: gauge('dingo_upstream_current') === 1,
        meanLatencyMs: count ? Math.round((total / count) * 1000) : null,
        latencyMs: avg === undefined ? null : Math.round(avg * 1000),
        throughputBytesPerSec: throughput ?? null,
        retryInSeconds: retryIn ? Math.ceil(retryIn) : 0,
      };
    });
  const status = {
    endpoint: client.endpoint,
    ready,
    health,
    servedBytes: { cache: fromCache, upstream: fromUpstream },
    hitRate: fromCache + fromUpstream ? fromCache / (fromCache + fromUpstream) : null,
    disk: diskSize ? { usedBytes: diskSize - diskFree, sizeBytes: diskSize } : null,
    upstreams: origins,
  };
  if (opts.json) io.out(JSON.stringify(status));
  else {
    io.out(
      `mirror     ${client.endpoint} ${ready ? 'ready' : 'NOT READY'} (version ${String(health.version ?? '?')})`,
    );
    io.out(
      `hit rate   ${status.hitRate === null ? '-' : `${(status.hitRate * 100).toFixed(1)}%`} ` +
        `(${formatBytes(fromCache)} from cache, ${formatBytes(fromUpstream)} from upstream)`,
    );
    if (status.disk)
      io.out(
        `disk       ${formatBytes(status.disk.usedBytes)} used of ${formatBytes(status.disk.sizeBytes)} ` +
          `(${((status.disk.usedBytes / status.disk.sizeBytes) * 100).toFixed(0)}%)`,
      );
    for (const o of origins)
      io.out(
        `upstream   ${o.origin} ${o.up ? 'up' : `DOWN (retry in ${o.retryInSeconds} s)`}${o.current ? ' (current)' : ''}` +
          `${o.latencyMs === null ? '' : `, latency ${o.latencyMs} ms`}` +
          `${o.throughputBytesPerSec === null ? '' : `, ${formatBytes(o.throughputBytesPerSec)}/s`}` +
          `${o.meanLatencyMs === null ? '' : `, mean ${o.meanLatencyMs} ms`}`,
      );
  }
  if (!ready) throw new CliError(EXIT.unavailable, `mirror ${client.endpoint} is not ready`);
}
