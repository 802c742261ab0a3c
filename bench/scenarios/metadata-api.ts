import { fork } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { cpuSeconds, waitForQuiet } from '../lib/cpu-time';
import { profileWhile } from '../lib/profiling';
import { IpcClient } from '../lib/ipc';
import { stopChild } from '../lib/processes';
import { measure, pairedRatio } from '../lib/stats';
import { BenchContext, resolvePath, Scenario, ScenarioOutcome, TableRow } from './scenario';

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  firstError?: string;
  /** CPU time of the server's processes per request answered (user + system), µs: robust to a busy machine. */
  cpuUsPerRequest?: number;
}

/**
 * autocannon's response parser does not know a HEAD response has no body, so it would wait for
 * Content-Length bytes that never come. Tell it, as Node's own client does (skip-body return value),
 * once autocannon has installed its handlers.
 */
function headAware(client: any): void {
  process.nextTick(() => {
    const parser = client.parser;
    const kOnHeadersComplete = Object.getPrototypeOf(parser).constructor.kOnHeadersComplete;
    const original = parser[kOnHeadersComplete];
    parser[kOnHeadersComplete] = (...args: unknown[]) => {
      original(...args);
      return true;
    };
  });
}

async function load(
  url: string,
  method: 'GET' | 'HEAD',
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const run = autocannon({
    url,
    method,
    connections,
    duration: seconds,
    timeout: 10,
    ...(method === 'HEAD' && { setupClient: headAware }),
  });
  let firstError: string | undefined;
  void run.on('reqError', (err: Error) => (firstError ??= `${err.name}: ${err.message}`));
  const r = await run;
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    firstError,
  };
}

async function once(
  url: string,
  method: 'GET' | 'HEAD',
): Promise<{ status: number; body: Buffer; headers: Record<string, string> }> {
  const res = await request(url, { method });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = String(v);
  return { status: res.statusCode, body, headers };
}

/**
 * Warm-cache metadata requests through the gateway vs a bare Node server answering the same bytes:
 * the difference is what the framework and the mirror's lookups cost per request.
 */
export const metadataApiScenario: Scenario = {
  id: 'metadata',
  title: '5. Metadata API on a warm cache (requests/s, latency) vs a bare Node HTTP server',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings, files, sim } = ctx;
    const endpoints = [
      { name: 'HEAD resolve', method: 'HEAD' as const, path: resolvePath(files.config) },
      {
        name: 'GET revision',
        method: 'GET' as const,
        path: `/api/models/${files.config.repo}/revision/main`,
      },
    ];
    const dataDir = ctx.freshDir('metadata');
    const floorChild = fork(join(__dirname, '..', 'lib', 'floor-server.ts'), [], {
      cwd: settings.repoRoot,
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const floor = new IpcClient(floorChild, 'floor server');
    const rows: TableRow[] = [];
    const details: Record<string, unknown> = {};
    const profiles: NonNullable<ScenarioOutcome['profiles']> = [];
    try {
      await ctx.withMirror('embedded', 'fast', dataDir, async (m) => {
        // Warm: the revision, the file's metadata, its bytes and the API answer are cached after
        // this (a HEAD of a file whose bytes are not cached asks upstream: it promises a download).
        for (const e of endpoints) {
          await once(m.url + e.path, 'GET');
          const again = await once(m.url + e.path, e.method);
          if (again.status !== 200) throw new Error(`${e.method} ${e.path}: HTTP ${again.status}`);
        }
        const revision = await once(m.url + endpoints[1].path, 'GET');
        const floorUrl = await floor.call<string>('start', {
          body: revision.body.toString('base64'),
          contentType: revision.headers['content-type'] ?? 'application/json',
        });
        for (const e of endpoints) {
          const mirror: LoadResult[] = [];
          const bare: LoadResult[] = [];
          let upstreamRequests = 0;
          for (let rep = 0; rep < settings.reps; rep++) {
            const order = rep % 2 === 0 ? (['mirror', 'floor'] as const) : (['floor', 'mirror'] as const);
            for (const side of order) {
              const base = side === 'mirror' ? m.url : floorUrl;
              // Within the revision TTL for the whole run, as a warm cache would be.
              await once(base + e.path, e.method);
              await waitForQuiet(m.pids, 300);
              const before = await sim.requestCount('fast');
              const serverPids = side === 'mirror' ? m.pids : [floorChild.pid!];
              const cpuBefore = cpuSeconds(serverPids);
              const r = await load(
                base + e.path,
                e.method,
                settings.api.durationSeconds,
                settings.api.connections,
              );
              r.cpuUsPerRequest = ((cpuSeconds(serverPids) - cpuBefore) * 1e6) / Math.max(1, r.requests);
              if (side === 'mirror') upstreamRequests += (await sim.requestCount('fast')) - before;
              (side === 'mirror' ? mirror : bare).push(r);
              // A few failures are a result (kept in the details); many make the numbers meaningless.
              const failed = r.non2xx + r.errors + r.timeouts;
              if (failed > 0.01 * (r.requests + failed)) {
                throw new Error(
                  `${side} ${e.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts of ${r.requests} (first: ${r.firstError ?? 'n/a'})`,
                );
              }
              ctx.log(
                `  rep ${rep + 1}/${settings.reps} ${e.name} ${side}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuUsPerRequest.toFixed(0)} CPU-µs/request`,
              );
            }
          }
          rows.push(
            {
              metric: `${e.name}: requests/s`,
              mirror: measure(
                'req/s',
                mirror.map((r) => r.rps),
              ),
              baselineName: 'bare Node http',
              baseline: measure(
                'req/s',
                bare.map((r) => r.rps),
              ),
              ratio: pairedRatio(
                mirror.map((r) => r.rps),
                bare.map((r) => r.rps),
              ),
              ratioMeaning: 'mirror/bare, higher is better',
            },
            {
              metric: `${e.name}: server CPU per request, µs`,
              mirror: measure(
                'µs',
                mirror.map((r) => r.cpuUsPerRequest!),
              ),
              baselineName: 'bare Node http',
              baseline: measure(
                'µs',
                bare.map((r) => r.cpuUsPerRequest!),
              ),
              ratio: pairedRatio(
                bare.map((r) => r.cpuUsPerRequest!),
                mirror.map((r) => r.cpuUsPerRequest!),
              ),
              ratioMeaning: 'bare/mirror, higher is better (robust to other load: CPU, not time)',
            },
            {
              metric: `${e.name}: p50 latency, ms`,
              mirror: measure(
                'ms',
                mirror.map((r) => r.p50),
              ),
              baselineName: 'bare Node http',
              baseline: measure(
                'ms',
                bare.map((r) => r.p50),
              ),
            },
            {
              metric: `${e.name}: p99 latency, ms`,
              mirror: measure(
                'ms',
                mirror.map((r) => r.p99),
              ),
              baselineName: 'bare Node http',
              baseline: measure(
                'ms',
                bare.map((r) => r.p99),
              ),
            },
          );
          const ratio = pairedRatio(
            mirror.map((r) => r.rps),
            bare.map((r) => r.rps),
          ).median;
          if (
            settings.profile === 'always' ||
            (settings.profile === 'auto' && ratio < settings.profileBelowRatio)
          ) {
            ctx.log(`  profiling the mirror under ${e.name} load (mirror/bare ${ratio.toFixed(2)})`);
            const name = `metadata-${e.method.toLowerCase()}-${e.name.split(' ')[1]}`;
            const seconds = settings.api.durationSeconds;
            const profile = await profileWhile(settings.repoRoot, m, name, seconds + 1, () =>
              load(m.url + e.path, e.method, seconds, settings.api.connections),
            );
            profiles.push({ label: `${e.name} under load`, ...profile });
          }
          details[e.name] = {
            path: e.path,
            mirror,
            bare,
            upstreamRequestsDuringMirrorRuns: upstreamRequests,
          };
          if (upstreamRequests > 0) {
            rows.push({
              metric: `${e.name}: upstream requests during the mirror runs`,
              note: `${upstreamRequests}: cached answers expired (revision TTL) under load and were fetched again`,
            });
          }
        }
      });
    } finally {
      await stopChild(floorChild, () => void floor.call('exit').catch(() => undefined));
      ctx.removeDir(dataDir);
    }
    return {
      rows,
      profiles,
      details: {
        ...details,
        connections: settings.api.connections,
        secondsPerRun: settings.api.durationSeconds,
        client: 'autocannon (in the bench process)',
      },
    };
  },
};
