// The Hub simulator as its own process, with the repos of a JSON spec (files read from disk):
//   node -r @swc-node/register e2e/mirror/hub-sim-process.ts --data-dir DIR --spec spec.json
// spec.json: [{ "type": "model", "id": "org/name", "files": [{ "path": "a.bin", "file": "/abs/a.bin", "lfs": true }] }]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HubSimulator } from '@dingo/hub-simulator';

interface SpecRepo {
  type: 'model' | 'dataset';
  id: string;
  files: { path: string; file: string; lfs?: boolean }[];
  /** Requests whose path + query match `match` (a RegExp source) answer `status`, `times` times (e.g. a CDN object). */
  faults?: { match: string; status: number; times: number }[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      spec: { type: 'string' },
      port: { type: 'string', default: '0' },
    },
  });
  const sim = await HubSimulator.start({ dataDir: values['data-dir']!, port: Number(values.port) });
  const spec: SpecRepo[] = JSON.parse(readFileSync(values.spec!, 'utf8'));
  for (const repo of spec)
    await sim.addRepo({
      type: repo.type,
      id: repo.id,
      commits: [
        { files: repo.files.map((f) => ({ path: f.path, content: readFileSync(f.file), lfs: f.lfs })) },
      ],
    });
  for (const repo of spec)
    for (const f of repo.faults ?? [])
      sim.injectFault(new RegExp(f.match), { kind: 'status', status: f.status }, f.times);
  console.log(`cdn: ${sim.cdnUrl}`);
  console.log(`hub-simulator listening on ${sim.url}`);
  const shutdown = () => void sim.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
