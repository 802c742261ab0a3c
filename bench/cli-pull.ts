// `node -r @swc-node/register bench/cli-pull.ts [MiB] [dingo pull options…]`: one file (default 256 MiB) pulled through an
// embedded mirror by `dingo pull` and by curl, cold (the mirror pulls it from the simulator) and
// warm (served from the mirror's cache); each run into an empty destination. `npm run bench`'s
// cli-pull scenario compares the cold pull with aria2c and `hf download`.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayModule } from '@dingo/gateway';
import { HubSimulator } from '@dingo/hub-simulator';
import { startEmbeddedGateway, tempDir } from '@dingo/testing';
import { sha256Of } from './lib/download-clients';

const MiB = 1024 * 1024;
const run = promisify(execFile);
const DINGO = join(__dirname, '..', 'apps', 'cli', 'bin', 'dingo.js');

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 256) * MiB;
  const work = tempDir('cli-bench');
  const sim = await HubSimulator.start({ dataDir: join(work.path, 'sim') });
  for (const id of ['bench/cli-cold', 'bench/curl-cold'])
    await sim.addRepo({ type: 'model', id, commits: [{ files: [{ path: 'weights.safetensors', size }] }] });
  const gw = await startEmbeddedGateway((c) => GatewayModule.forConfig(c), {
    upstreams: [sim.url],
    upstreamAllowPrivate: [sim.cdnUrl],
    dataDir: join(work.path, 'mirror'),
  });
  const results: Array<[string, number]> = [];
  let n = 0;
  const dingo = async (label: string, repo: string) => {
    const dest = join(work.path, `d${n++}`);
    const t0 = process.hrtime.bigint();
    // Asynchronously: the mirror runs in this process and must keep serving.
    await run(process.execPath, [DINGO, 'pull', repo, '--dest', dest, '--quiet', ...process.argv.slice(3)], {
      env: { ...process.env, DINGO_ENDPOINT: gw.url },
    });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    results.push([label, s]);
  };
  const curl = async (label: string, repo: string) => {
    const dest = join(work.path, `c${n++}`);
    mkdirSync(dest);
    const t0 = process.hrtime.bigint();
    await run('curl', ['-sfL', '-o', join(dest, 'w'), `${gw.url}/${repo}/resolve/main/weights.safetensors`]);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const want = sim.repo('model', repo)!.file('main', 'weights.safetensors')!.sha256;
    if ((await sha256Of(join(dest, 'w'))) !== want) throw new Error(`${label}: sha256 mismatch`);
    results.push([label, s]);
  };
  try {
    await dingo('dingo pull, cold mirror', 'bench/cli-cold');
    await curl('curl, cold mirror', 'bench/curl-cold');
    await dingo('dingo pull, warm mirror', 'bench/cli-cold');
    await curl('curl, warm mirror', 'bench/cli-cold');
    await dingo('dingo pull, warm mirror (again)', 'bench/curl-cold');
    await curl('curl, warm mirror (again)', 'bench/curl-cold');
  } finally {
    await gw.close();
    await sim.stop();
    work.cleanup();
  }
  console.log(
    `one ${size / MiB} MiB file, loopback; dingo pull ${process.argv.slice(3).join(' ')} (incl. ~1 s CLI start-up and sha256 check)`,
  );
  for (const [label, s] of results)
    console.log(
      `${label.padEnd(34)} ${s.toFixed(2).padStart(6)} s  ${(size / MiB / s).toFixed(0).padStart(5)} MiB/s`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
