// Runs in the HA lab's client namespace: `client-load.ts <baseUrl> <seconds> <concurrency> <json>`
// where json is [{ path, sha256 }]. Each worker fetches the files in turn until the time is up,
// hashing every body; prints one JSON line { ok, failures: [{ path, error }] } at the end.
import { createHash } from 'node:crypto';
import { request } from 'node:http';

const [base, seconds, concurrency, json] = process.argv.slice(2);
const files = JSON.parse(json) as { path: string; sha256?: string }[];

function fetchOnce(path: string): Promise<{ status: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent: false, timeout: 20_000 }, (res) => {
      const hash = createHash('sha256');
      res.on('data', (d) => hash.update(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const until = Date.now() + Number(seconds) * 1000;
  let ok = 0;
  const failures: { path: string; error: string }[] = [];
  await Promise.all(
    Array.from({ length: Number(concurrency) }, async (_, w) => {
      for (let i = w; Date.now() < until; i++) {
        const f = files[i % files.length];
        try {
          const r = await fetchOnce(f.path);
          if (r.status !== 200) failures.push({ path: f.path, error: `HTTP ${r.status}` });
          else if (f.sha256 && r.sha256 !== f.sha256)
            failures.push({ path: f.path, error: 'sha256 mismatch' });
          else ok++;
        } catch (err) {
          failures.push({ path: f.path, error: (err as Error).message });
        }
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ ok, failures })}\n`);
}

void main();
