// Runs in the HA lab's client namespace: asks `<url>` every `<intervalMs>` on a new connection each
// time (as a client arriving during a failover would), with a short deadline, and prints a JSON
// line { t, ok, detail } each time the answer changes between success (HTTP 200) and failure.
import { request } from 'node:http';

const [url, intervalMs = '40', timeoutMs = '250'] = process.argv.slice(2);

function once(): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: Number(timeoutMs) }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, detail: String(res.statusCode) }));
      res.on('error', (e) => resolve({ ok: false, detail: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, detail: e.code ?? e.message }));
    req.end();
  });
}

async function main(): Promise<void> {
  let last: boolean | undefined;
  for (;;) {
    const t = Date.now();
    const { ok, detail } = await once();
    if (ok !== last) {
      process.stdout.write(`${JSON.stringify({ t, ok, detail })}\n`);
      last = ok;
    }
    await new Promise((r) => setTimeout(r, Number(intervalMs)));
  }
}

void main();
