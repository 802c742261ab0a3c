// Runs inside the HA lab's "infra" namespace: an S3 server (s3rver) and the upstream Hub simulator,
// both on the namespace's own address. `infra-host.ts <address> <dataDir>` prints one JSON line:
// { s3Port, simUrl, cdnUrl, files: { <path>: { sha256, size } } } and serves until SIGTERM.
import 'reflect-metadata';
import { join } from 'node:path';
import S3rver from 's3rver';
import { HubSimulator } from '@dingo/hub-simulator';

export const HA_REPO = 'org/ha-model';
const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const [address, dataDir] = process.argv.slice(2);
  const s3 = new S3rver({ address, port: 4569, directory: join(dataDir, 's3'), silent: true });
  const { port: s3Port } = await s3.run();
  const sim = await HubSimulator.start({ dataDir: join(dataDir, 'sim'), host: address, port: 8080 });
  const repo = await sim.addRepo({
    type: 'model',
    id: HA_REPO,
    commits: [
      {
        files: [
          { path: 'config.json', content: '{"model_type":"bert"}' },
          { path: 'big.bin', size: 40 * MiB + 17 },
          { path: 'python.bin', size: 40 * MiB + 33 },
          ...Array.from({ length: 6 }, (_, i) => ({ path: `cold/part-${i}.bin`, size: 6 * MiB + i })),
        ],
      },
    ],
  });
  const paths = [
    'config.json',
    'big.bin',
    'python.bin',
    ...Array.from({ length: 6 }, (_, i) => `cold/part-${i}.bin`),
  ];
  const files = Object.fromEntries(
    paths.map((p) => {
      const f = repo.file('main', p)!;
      return [p, { sha256: f.sha256, size: f.size }];
    }),
  );
  process.stdout.write(`${JSON.stringify({ s3Port, simUrl: sim.url, cdnUrl: sim.cdnUrl, files })}\n`);
  const stop = async () => {
    await sim.stop();
    await s3.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
