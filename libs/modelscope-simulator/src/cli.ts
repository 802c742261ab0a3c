// Runs a ModelScope simulator as its own process:
//   node -r @swc-node/register libs/modelscope-simulator/src/cli.ts --spec spec.json [--port 0] [--redirect]
// spec.json: [{ "id": "owner/name", "branches": { "master": [{ "path": "a.bin", "file": "/abs/a.bin",
//   "listedSha256"?: "...", "corrupt"?: true }] }, "tags"?: { … } }]
// Prints `modelscope-simulator listening on <url>` once it accepts connections.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ModelScopeSimulator, MsSimFile, MsSimModel } from './modelscope-simulator';

interface SpecFile extends Omit<MsSimFile, 'content'> {
  file?: string;
  text?: string;
}
interface SpecModel {
  id: string;
  branches: Record<string, SpecFile[]>;
  tags?: Record<string, SpecFile[]>;
}

function load(files: SpecFile[]): MsSimFile[] {
  return files.map(({ file, text, ...rest }) => ({
    ...rest,
    content: file ? readFileSync(file) : Buffer.from(text ?? ''),
  }));
}

function loadAll(revs: Record<string, SpecFile[]> | undefined): Record<string, MsSimFile[]> {
  return Object.fromEntries(Object.entries(revs ?? {}).map(([rev, files]) => [rev, load(files)]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      spec: { type: 'string' },
      redirect: { type: 'boolean', default: false },
    },
  });
  const sim = await ModelScopeSimulator.start({
    port: Number(values.port),
    redirectDownloads: values.redirect,
  });
  const spec: SpecModel[] = values.spec ? JSON.parse(readFileSync(values.spec, 'utf8')) : [];
  for (const m of spec) {
    const model: MsSimModel = { id: m.id, branches: loadAll(m.branches), tags: loadAll(m.tags) };
    sim.addModel(model);
  }
  console.log(`modelscope-simulator listening on ${sim.url}`);
  const shutdown = () => void sim.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
