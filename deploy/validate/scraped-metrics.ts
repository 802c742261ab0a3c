import { GatewayModule } from '@dingo/gateway';
import { HubSimulator } from '@dingo/hub-simulator';
import { http, startEmbeddedGateway, tempDir } from '@dingo/testing';

/**
 * The metrics a real gateway exports: an embedded gateway in front of the simulator serves a few
 * requests (so labelled series exist), then its `/metrics` text is returned as scraped.
 */
export async function scrapeGatewayMetrics(): Promise<string> {
  const simDir = tempDir('metrics-sim');
  const sim = await HubSimulator.start({ dataDir: simDir.path });
  await sim.addRepo({
    type: 'model',
    id: 'org/metrics',
    commits: [
      {
        files: [
          { path: 'config.json', content: '{}' },
          { path: 'w.safetensors', size: 3_000_000 },
        ],
      },
    ],
  });
  const gateway = await startEmbeddedGateway((config) => GatewayModule.forConfig(config), {
    upstreams: [sim.url],
    upstreamAllowPrivate: [sim.cdnUrl],
    chunkSizeBytes: 1024 * 1024,
  });
  try {
    await http(`${gateway.url}/org/metrics/resolve/main/w.safetensors`);
    await http(`${gateway.url}/org/metrics/resolve/main/w.safetensors`);
    await http(`${gateway.url}/api/models/org/metrics`);
    return (await http(`${gateway.url}/metrics`)).body.toString('utf8');
  } finally {
    await gateway.close();
    await sim.stop();
    simDir.cleanup();
  }
}

/**
 * Series names in Prometheus text exposition: every sample's name, and every declared metric
 * (a labelled counter that has not counted yet has a `# TYPE` line but no sample). Histograms
 * contribute their `_bucket`/`_sum`/`_count` series.
 */
export function seriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const declared = /^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (\w+)/.exec(line);
    if (declared) {
      const [, name, type] = declared;
      const suffixes = type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
      for (const suffix of suffixes) names.add(name + suffix);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    names.add(/^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)![0]);
  }
  return names;
}
