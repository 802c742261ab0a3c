import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { cpuSeconds, waitForQuiet } from '../lib/cpu-time';
import { MirrorDeployment } from '../lib/deployments';
import { captureOutput, freePort, LOOPBACK, stopChild, waitForHttp } from '../lib/processes';
import { GiB, MiB } from '../lib/settings';
import { measure, mibPerSecond, pairedRatio } from '../lib/stats';
import { BenchContext, Scenario, ScenarioOutcome } from './scenario';

const run = promisify(execFile);
const NAMESPACE = 'benchup';

/**
 * The baseline: the least a server can do with an upload, a Node HTTP server that streams the PUT
 * body into a file (no hashing, no chunking, no database), in a process of its own like the mirror.
 */
const MINIMAL_SERVER = `
const { createServer } = require('node:http');
const { createWriteStream } = require('node:fs');
const { pipeline } = require('node:stream/promises');
let n = 0;
createServer((req, res) => {
  if (req.method !== 'PUT') return res.end('ok');
  pipeline(req, createWriteStream(process.env.DIR + '/upload-' + n++)).then(
    () => res.end('{}'),
    (err) => { res.statusCode = 500; res.end(String(err)); },
  );
}).listen(Number(process.env.PORT), '${LOOPBACK}');
`;

/** One upload body on disk (so curl reads it from the page cache) and its LFS oid. */
async function writeBody(path: string, size: number, seed: Buffer): Promise<string> {
  const block = randomBytes(MiB);
  seed.copy(block);
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let done = 0; done < size; done += block.length) {
    const part = block.subarray(0, Math.min(block.length, size - done));
    hash.update(part);
    if (!out.write(part)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
  return hash.digest('hex');
}

/** curl -T: the same C client for both servers; resolves with its total time in seconds. */
async function curlPut(url: string, file: string, headers: Record<string, string>): Promise<number> {
  const args = ['-sS', '--fail-with-body', '--noproxy', '*', '-T', file, '-X', 'PUT', '-o', '/dev/null'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push('-w', '%{time_total}', url);
  const { stdout } = await run('curl', args);
  return Number(stdout.trim());
}

async function call(
  m: MirrorDeployment,
  method: string,
  path: string,
  token: string,
  body: unknown,
  contentType = 'application/json',
): Promise<any> {
  const res = await fetch(m.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Issue 9: LFS upload throughput of a hosted repo (the Hub's LFS batch API, then a PUT of the
 * object to the href it returns, then the commit), vs the minimal Node server above writing the
 * same PUT body to the same disk. Every rep uploads a new object (a new oid), so nothing is
 * deduplicated away; the mirror hashes, chunks and records what it receives.
 */
export const uploadScenario: Scenario = {
  id: 'upload',
  title: '11. Hosted repo LFS upload vs a minimal Node server writing the PUT body to disk',
  async run(ctx: BenchContext): Promise<ScenarioOutcome> {
    const { settings } = ctx;
    const size = settings.upload.size;
    const password = randomBytes(16).toString('hex');
    const dataDir = ctx.freshDir('upload-mirror');
    const sinkDir = ctx.freshDir('upload-sink');
    const bodyFile = join(ctx.freshDir('upload-body'), 'body.bin');
    const port = await freePort();
    const sink: ChildProcess = spawn(process.execPath, ['-e', MINIMAL_SERVER], {
      env: { ...process.env, PORT: String(port), DIR: sinkDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sinkUrl = `http://${LOOPBACK}:${port}`;
    const m = await ctx.startMirror('embedded', 'fast', dataDir, {
      DINGO_LOCAL_NAMESPACES: NAMESPACE,
      DINGO_ADMIN_PASSWORD: password,
    });
    try {
      await waitForHttp(sinkUrl, sink, captureOutput(sink));
      const login = await call(m, 'POST', '/admin/v1/auth/login', '', { username: 'admin', password });
      const token: string = login.accessToken;
      await call(m, 'POST', '/api/repos/create', token, {
        name: 'upload',
        organization: NAMESPACE,
        type: 'model',
      });
      const mirrorS: number[] = [];
      const sinkS: number[] = [];
      const mirrorCpuPerGiB: number[] = [];
      const sinkCpuPerGiB: number[] = [];
      for (let rep = 0; rep < settings.reps; rep++) {
        const oid = await writeBody(bodyFile, size, Buffer.from(`rep ${rep} ${process.pid} ${Date.now()}`));
        const batch = await call(
          m,
          'POST',
          `/${NAMESPACE}/upload.git/info/lfs/objects/batch`,
          token,
          { operation: 'upload', transfers: ['basic'], objects: [{ oid, size }] },
          'application/vnd.git-lfs+json',
        );
        const upload = batch.objects[0].actions?.upload as
          { href: string; header?: Record<string, string> } | undefined;
        if (!upload)
          throw new Error(`the mirror asked for no upload of a new object: ${JSON.stringify(batch)}`);
        const order = rep % 2 === 0 ? (['mirror', 'sink'] as const) : (['sink', 'mirror'] as const);
        for (const side of order) {
          const pids = side === 'mirror' ? m.pids : [sink.pid!];
          await waitForQuiet(pids);
          const cpu0 = cpuSeconds(pids);
          const s =
            side === 'mirror'
              ? await curlPut(upload.href, bodyFile, { authorization: `Bearer ${token}`, ...upload.header })
              : await curlPut(`${sinkUrl}/upload`, bodyFile, {});
          const cpu = (cpuSeconds(pids) - cpu0) / (size / GiB);
          (side === 'mirror' ? mirrorS : sinkS).push(s);
          (side === 'mirror' ? mirrorCpuPerGiB : sinkCpuPerGiB).push(cpu);
          ctx.log(`  rep ${rep + 1}/${settings.reps} ${side}: ${mibPerSecond(size, s).toFixed(0)} MiB/s`);
        }
        // The object is usable: committed and listed with its size.
        await call(
          m,
          'POST',
          `/api/models/${NAMESPACE}/upload/commit/main`,
          token,
          [
            { key: 'header', value: { summary: `rep ${rep}` } },
            { key: 'lfsFile', value: { path: `rep-${rep}.bin`, algo: 'sha256', oid, size } },
          ]
            .map((l) => JSON.stringify(l))
            .join('\n'),
          'application/x-ndjson',
        );
        await rm(sinkDir, { recursive: true, force: true });
        await run('mkdir', ['-p', sinkDir]);
      }
      const mibps = (s: number[]) => s.map((x) => mibPerSecond(size, x));
      return {
        rows: [
          {
            metric: 'LFS upload, MiB/s',
            mirror: measure('MiB/s', mibps(mirrorS)),
            baselineName: 'minimal Node server',
            baseline: measure('MiB/s', mibps(sinkS)),
            ratio: pairedRatio(mibps(mirrorS), mibps(sinkS)),
            ratioMeaning: 'mirror/minimal, higher is better',
            note: `${size / MiB} MiB per object, one curl -T client`,
          },
          {
            metric: 'server CPU per GiB uploaded, s',
            mirror: measure('s', mirrorCpuPerGiB),
            baselineName: 'minimal Node server',
            baseline: measure('s', sinkCpuPerGiB),
          },
        ],
        details: { objectBytes: size, mirrorS, sinkS, mirrorCpuPerGiB, sinkCpuPerGiB },
      };
    } finally {
      await m.stop();
      await stopChild(sink);
      for (const d of [dataDir, sinkDir]) ctx.removeDir(d);
      await rm(bodyFile, { force: true });
    }
  },
};
