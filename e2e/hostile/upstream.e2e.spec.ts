import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { SimFault } from '@dingo/hub-simulator';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { startService, tempDir } from '@dingo/testing';
import { groupTally } from './tally';
import {
  ADMIN_PASSWORD,
  call,
  filesUnder,
  JWT_SECRET,
  MiB,
  pullsSettled,
  Reply,
  sha256,
  sleep,
  startInternalService,
  startWorld,
  World,
} from './world';

const tally = groupTally('hostile/faulty upstream');

/** Delivered complete = a 200/206 whose body has every promised byte and a clean end. */
const complete = (res: Reply, size: number) =>
  (res.status === 200 || res.status === 206) && !res.error && res.body.length === size;

/** An upstream (or CDN) that lies, misdirects, compresses, stalls or breaks: clean errors, no poisoned cache. */
describe('hostile and faulty upstream', () => {
  let w: World;
  let internal: Awaited<ReturnType<typeof startInternalService>>;
  beforeAll(async () => {
    w = await startWorld({ upstreamTimeoutMs: 1500, upstreamRetries: 2 });
    internal = await startInternalService();
  });
  afterAll(async () => {
    await internal.close();
    await w.close();
  });
  beforeEach(() => {
    w.sim.clearFaults();
    w.sim.stats.reset();
    internal.requests.length = 0;
  });
  afterEach(async () => {
    w.sim.clearFaults();
    await pullsSettled(w.gateway);
  });

  /** A file of its own, located by the gateway, so the next GET goes straight to fetching bytes. */
  const target = async (size = 300_000, lfs = true, path = lfs ? 'w.safetensors' : 'vocab.txt') => {
    const repo = await w.freshRepo([{ path, size, lfs }], 'up');
    const url = `/${repo.id}/resolve/main/${path}`;
    expect((await w.call(url, { method: 'HEAD' })).status).toBe(200);
    const f = repo.f(path);
    return {
      f,
      url,
      /** The hub resolve the gateway fetches bytes from (at the commit), and the CDN object. */
      hubBytes: new RegExp(`^/${repo.id}/resolve/[0-9a-f]{40}/${path.replace('.', '\\.')}`),
      cdn: new RegExp(`^/repos/../../${f.sha256}`),
      get: (headers: Record<string, string> = {}) => w.call(url, { headers }),
    };
  };

  describe('redirects to places the mirror must not go', () => {
    const p = () => internal.port;
    const internalTargets: Array<[string, () => string]> = [
      ['127.0.0.1', () => `http://127.0.0.1:${p()}/`],
      ['another loopback address, 127.0.0.2', () => `http://127.0.0.2:${p()}/`],
      ['IPv6 loopback [::1]', () => `http://[::1]:${p()}/`],
      ['IPv6 loopback in long form', () => `http://[0:0:0:0:0:0:0:1]:${p()}/`],
      ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${p()}/`],
      ['the name localhost (checked after DNS)', () => `http://localhost:${p()}/`],
      ["this machine's host name (checked after DNS)", () => `http://${hostname()}:${p()}/`],
      ['0.0.0.0', () => `http://0.0.0.0:${p()}/`],
      ['shorthand 127.1', () => `http://127.1:${p()}/`],
      ['decimal 2130706433', () => `http://2130706433:${p()}/`],
      ['hex 0x7f000001', () => `http://0x7f000001:${p()}/`],
      ['a 307 instead of a 302', () => `http://127.0.0.1:${p()}/307`],
      ['a 308 with credentials in the URL', () => `http://admin:admin@127.0.0.1:${p()}/308`],
    ];
    for (const [name, location] of internalTargets)
      tally.it(
        `resolve redirected to ${name}: 502 before any request reaches it, nothing stored`,
        async () => {
          const t = await target();
          const status = name.includes('307') ? 307 : name.includes('308') ? 308 : 302;
          w.sim.injectFault(t.hubBytes, { kind: 'redirect', location: location(), status });
          const res = await t.get();
          expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
            status: 502,
            code: 'BadGateway',
          });
          expect(res.text()).not.toContain(internal.secret);
          expect(internal.requests).toEqual([]);
        },
      );

    tally.it('a CDN redirect to the cloud metadata address 169.254.169.254: never fetched from', async () => {
      const t = await target();
      w.sim.injectFault(t.cdn, {
        kind: 'redirect',
        location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      });
      const res = await t.get();
      expect([502, 503, 504]).toContain(res.status);
      expect(res.text()).not.toMatch(/AccessKeyId|security-credentials/);
      if (res.status === 502) expect(res.headers['x-error-message']).toMatch(/internal address/);
    });

    const badSchemes: Array<[string, string]> = [
      ['file:', 'file:///etc/passwd'],
      ['ftp:', 'ftp://127.0.0.1/pub'],
      ['data:', 'data:application/octet-stream;base64,AAAA'],
      ['javascript:', 'javascript:alert(1)'],
      ['gopher:', 'gopher://127.0.0.1:70/_GET%20/'],
      ['an unparsable URL', 'http://[::1'],
    ];
    for (const [name, location] of badSchemes)
      tally.it(`redirect to ${name}: a clean 502`, async () => {
        const t = await target();
        w.sim.injectFault(t.hubBytes, { kind: 'redirect', location });
        const res = await t.get();
        expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
          status: 502,
          code: 'BadGateway',
        });
        expect(res.text()).not.toContain('root:');
      });

    tally.it('an empty Location and a relative self-redirect are loops: a clean 502', async () => {
      for (const location of ['', '?again']) {
        const t = await target();
        w.sim.injectFault(t.cdn, { kind: 'redirect', location }, 20);
        const res = await t.get();
        expect({ location, status: res.status, error: res.error }).toEqual({
          location,
          status: 502,
          error: undefined,
        });
        w.sim.clearFaults();
        await pullsSettled(w.gateway);
      }
    });

    tally.it('nothing of the internal service ever landed in the store', async () => {
      for (const f of filesUnder(w.gateway.dataDir))
        expect({ f, leaked: readFileSync(f).includes(internal.secret.slice(0, 16)) }).toEqual({
          f,
          leaked: false,
        });
    });
  });

  describe('broken transfers', () => {
    tally.it('a connection reset mid-body: resumed, right bytes, each byte fetched once', async () => {
      const t = await target(2 * MiB + 1);
      w.sim.injectFault(t.cdn, { kind: 'reset', afterBytes: 200_000 }, 2);
      const res = await t.get();
      expect(sha256(res.body)).toBe(t.f.sha256);
      expect(w.gateway.mirror.stats().pullRetries).toBeGreaterThan(0);
    });

    tally.it('a stalled body: timed out, resumed, right bytes', async () => {
      const t = await target(MiB + 5);
      w.sim.injectFault(t.cdn, { kind: 'stall', afterBytes: 100_000 });
      const res = await t.get();
      expect(res.status).toBe(200);
      expect(sha256(res.body)).toBe(t.f.sha256);
    });

    tally.it('a Content-Length that promises more than is sent: resumed, right bytes', async () => {
      const t = await target();
      w.sim.injectFault(t.cdn, {
        kind: 'body',
        body: readFileSync(t.f.diskPath).subarray(0, 1000),
        headers: { 'Content-Length': '300000' },
      });
      const res = await t.get();
      expect(sha256(res.body)).toBe(t.f.sha256);
    });

    tally.it('a 206 with more bytes than asked for: only the asked bytes are kept', async () => {
      const t = await target();
      const bytes = readFileSync(t.f.diskPath);
      w.sim.injectFault(t.cdn, { kind: 'body', body: Buffer.concat([bytes, Buffer.alloc(50_000, 0x41)]) });
      const res = await t.get();
      expect(sha256(res.body)).toBe(t.f.sha256);
    });

    tally.it('a 200 that ignores the Range of a later chunk: 502, then right', async () => {
      const t = await target(2 * MiB + 3);
      w.sim.injectFault(t.cdn, { kind: 'body', status: 200, body: readFileSync(t.f.diskPath) }, 10);
      const res = await t.get();
      expect(complete(res, t.f.size)).toBe(false);
      w.sim.clearFaults();
      await pullsSettled(w.gateway);
      expect(sha256((await t.get()).body)).toBe(t.f.sha256);
    });

    tally.it('bytes from the wrong offset (a lying Content-Range): never delivered complete', async () => {
      const t = await target();
      const bytes = readFileSync(t.f.diskPath);
      w.sim.injectFault(t.cdn, {
        kind: 'body',
        status: 206,
        body: Buffer.concat([bytes.subarray(100), bytes.subarray(0, 100)]),
        headers: { 'Content-Range': `bytes 0-${t.f.size - 1}/${t.f.size}` },
      });
      const res = await t.get();
      expect(complete(res, t.f.size)).toBe(false);
      await pullsSettled(w.gateway);
      expect(sha256((await t.get()).body)).toBe(t.f.sha256);
    });

    tally.it('gzip on LFS bytes from the CDN: refused (502), never stored as the file', async () => {
      const t = await target();
      w.sim.injectFault(t.cdn, { kind: 'gzip' });
      const res = await t.get();
      expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
        status: 502,
        code: 'BadGateway',
      });
      await pullsSettled(w.gateway);
      expect(sha256((await t.get()).body)).toBe(t.f.sha256);
    });

    tally.it('gzip on a regular file from the hub: refused (502), then right', async () => {
      const t = await target(200_000, false);
      w.sim.injectFault(t.hubBytes, { kind: 'gzip' });
      const res = await t.get();
      expect(res.status).toBe(502);
      await pullsSettled(w.gateway);
      expect(sha256((await t.get()).body)).toBe(t.f.sha256);
    });

    tally.it(
      'flipped bytes in the last chunk: no client gets the file complete; the next one gets it right',
      async () => {
        const t = await target(2 * MiB + 10);
        w.sim.injectFault(t.cdn, { kind: 'corrupt', atByte: 5 }, 1);
        // The last chunk's request is the corrupted one when the first two come from elsewhere: ask for the tail first.
        const tail = await t.get({ range: `bytes=${2 * MiB}-` });
        expect(complete(tail, 10)).toBe(false);
        await pullsSettled(w.gateway);
        expect(sha256((await t.get()).body)).toBe(t.f.sha256);
      },
    );

    tally.it('a slow hub on a regular file: 504 in time, then right', async () => {
      const t = await target(100_000, false);
      w.sim.injectFault(t.hubBytes, { kind: 'slow-start', delayMs: 10_000 });
      const res = await t.get();
      expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
        status: 504,
        code: 'GatewayTimeout',
      });
      expect(res.ms).toBeLessThan(5_000);
      await pullsSettled(w.gateway);
      expect(sha256((await t.get()).body)).toBe(t.f.sha256);
    });

    tally.it('a 5xx storm on the CDN: a clean 5xx, no partial file, then right', async () => {
      const t = await target();
      w.sim.injectFault(t.cdn, { kind: 'status', status: 503 }, 50);
      const res = await t.get();
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.headers['x-error-code']).toBeDefined();
      w.sim.clearFaults();
      await pullsSettled(w.gateway);
      expect(sha256((await t.get()).body)).toBe(t.f.sha256);
    });

    tally.it('a 429 and an expired-URL 403 from the CDN are retried: right bytes', async () => {
      const t = await target();
      w.sim.injectFault(t.cdn, { kind: 'status', status: 429 });
      w.sim.injectFault(t.cdn, { kind: 'status', status: 403 });
      const res = await t.get();
      expect(sha256(res.body)).toBe(t.f.sha256);
    });
  });

  describe('metadata that lies', () => {
    const headFault = async (set: Record<string, string>, lfs = true) => {
      const repo = await w.freshRepo([{ path: lfs ? 'm.safetensors' : 'm.txt', size: 50_000, lfs }], 'lie');
      const url = `/${repo.id}/resolve/main/${lfs ? 'm.safetensors' : 'm.txt'}`;
      w.sim.injectFault(new RegExp(`^/${repo.id}/resolve/main/`), { kind: 'headers', set });
      return w.call(url, { method: 'HEAD' });
    };
    const cases: Array<[string, Record<string, string>, boolean]> = [
      ['X-Repo-Commit missing', { 'X-Repo-Commit': '' }, true],
      ['X-Repo-Commit a path', { 'X-Repo-Commit': '../../../../etc/passwd' }, true],
      ['X-Repo-Commit too short', { 'X-Repo-Commit': 'a'.repeat(39) }, true],
      ['X-Repo-Commit upper-case', { 'X-Repo-Commit': 'A'.repeat(40) }, true],
      ['ETag missing on a regular file', { ETag: '' }, false],
      ['ETag not a hash on a regular file', { ETag: 'W/"zzz"' }, false],
      ['X-Linked-Size negative', { 'X-Linked-Size': '-5' }, true],
      ['X-Linked-Size not a number', { 'X-Linked-Size': '12abc' }, true],
      ['X-Linked-Size beyond 2^53', { 'X-Linked-Size': '99999999999999999999' }, true],
    ];
    for (const [name, set, lfs] of cases)
      tally.it(`${name}: 502 BadGateway, nothing recorded`, async () => {
        const res = await headFault(set, lfs);
        expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
          status: 502,
          code: 'BadGateway',
        });
      });

    tally.it(
      'an X-Linked-Size smaller than the file: the short "file" is never delivered complete',
      async () => {
        const repo = await w.freshRepo([{ path: 's.safetensors', size: 300_000 }], 'short');
        w.sim.injectFault(new RegExp(`^/${repo.id}/resolve/main/`), {
          kind: 'headers',
          set: { 'X-Linked-Size': '299000' },
        });
        const res = await w.call(`/${repo.id}/resolve/main/s.safetensors`);
        expect(complete(res, 299_000)).toBe(false);
      },
    );
  });

  describe('API answers', () => {
    const api = '/api/models/org/model';
    const fault = (f: SimFault, times = 1) => w.sim.injectFault(/^\/api\/models\/org\/model(\?|$)/, f, times);

    tally.it(
      'a Link to a foreign host is dropped, a Link on the upstream is rewritten onto the mirror',
      async () => {
        fault({
          kind: 'headers',
          set: {
            Link: `<http://evil.example/api/models?cursor=x>; rel="next", <${w.sim.url}/api/models/org/model?p=2>; rel="prev"`,
          },
        });
        const res = await w.call(`${api}?hostile=link`);
        expect(res.headers.link).toBe(`<${w.url}/api/models/org/model?p=2>; rel="prev"`);
      },
    );

    tally.it('a Xet auth Link is dropped', async () => {
      fault({
        kind: 'headers',
        set: { Link: `<${w.sim.url}/api/models/org/model/xet-read-token/main>; rel="xet-auth"` },
      });
      expect((await w.call(`${api}?hostile=xet`)).headers.link).toBeUndefined();
    });

    tally.it('Set-Cookie and other upstream headers are not passed on', async () => {
      fault({
        kind: 'headers',
        set: {
          'Set-Cookie': 'session=stolen; Domain=.example',
          'Strict-Transport-Security': 'max-age=99999999',
          'X-Frame-Options': 'ALLOW',
        },
      });
      const res = await w.call(`${api}?hostile=cookie`);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    for (const [name, encode, coding] of [
      ['deflate', deflateSync, 'deflate'],
      ['brotli', brotliCompressSync, 'br'],
      ['gzip twice', (b: Buffer) => gzipSync(gzipSync(b)), 'gzip, gzip'],
    ] as const)
      tally.it(`an API answer in ${name}: decoded for the client`, async () => {
        const truth = (await w.call(`${api}?enc=${coding.length}`)).json();
        fault({
          kind: 'body',
          body: encode(Buffer.from(JSON.stringify(truth))),
          headers: { 'Content-Encoding': coding },
        });
        const res = await w.call(`${api}?enc=${name.length}x`);
        expect(res.status).toBe(200);
        expect(res.json()).toEqual(truth);
      });

    tally.it(
      'unknown Content-Encodings and error bodies that break off: clean answers, and the gateway process lives on',
      async () => {
        // A real gateway process: a crash here must not take the test runner with it.
        const dir = tempDir('enc');
        const gw = await startService('gateway', {
          DINGO_DATA_DIR: dir.path,
          DINGO_UPSTREAMS: w.sim.url,
          DINGO_UPSTREAM_ALLOW_PRIVATE: w.sim.cdnUrl,
          DINGO_ADMIN_PASSWORD: ADMIN_PASSWORD,
          DINGO_JWT_SECRET: JWT_SECRET,
        });
        try {
          w.sim.injectFault(/^\/api\/models\/org\/model\?enc=zstd$/, {
            kind: 'body',
            body: 'whatever',
            headers: { 'Content-Encoding': 'zstd' },
          });
          // A crash from an unhandled stream error comes a moment after the answer: give it 2 s to show.
          const alive = async (ms = 300) => {
            for (let i = 0; i < ms / 50 && gw.child.exitCode === null; i++) await sleep(50);
            const exited = gw.child.exitCode ?? gw.child.signalCode;
            return exited === null ? 'alive' : `exited ${exited}: ${gw.output().slice(-1500)}`;
          };
          const res = await call(gw.url, `${api}?enc=zstd`);
          expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
            status: 502,
            code: 'BadGateway',
          });
          expect(await alive()).toBe('alive');
          w.sim.injectFault(/^\/api\/models\/org\/model\/revision\/no-such-rev$/, {
            kind: 'body',
            status: 404,
            body: 'whatever',
            headers: { 'Content-Encoding': 'evil', 'X-Error-Message': '' },
          });
          const err = await call(gw.url, `${api}/revision/no-such-rev`);
          expect(err.status).toBe(404);
          expect(await alive()).toBe('alive');
          // Error answers whose bodies break off while the mirror discards them.
          for (const [path, status, headers] of [
            [`${api}/revision/reset-5xx`, 503, {}],
            [
              `${api}/revision/reset-4xx`,
              404,
              { 'X-Error-Message': 'Invalid rev id', 'X-Error-Code': 'RevisionNotFound' },
            ],
          ] as const) {
            const re = new RegExp(`^${path}$`);
            w.sim.injectFault(re, { kind: 'body', status, body: 'x'.repeat(100_000), headers });
            w.sim.injectFault(re, { kind: 'reset', afterBytes: 10 });
            const broken = await call(gw.url, path);
            expect({ path, status: broken.status }).toEqual({ path, status });
            expect(await alive()).toBe('alive');
          }
          expect(await alive(2000)).toBe('alive');
          expect((await call(gw.url, '/health')).status).toBe(200);
        } finally {
          await gw.stop();
          dir.cleanup();
        }
      },
      40_000,
    );

    tally.it('a truncated gzip body: a clean 502', async () => {
      fault({
        kind: 'body',
        body: gzipSync(Buffer.from('{"id":"org/model","sha":"x"}'.repeat(100))).subarray(0, 40),
        headers: { 'Content-Encoding': 'gzip' },
      });
      const res = await w.call(`${api}?enc=truncated`);
      expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
        status: 502,
        code: 'BadGateway',
      });
    });

    tally.it('a non-JSON page with 200 (a captive portal) is not cached as the commit answer', async () => {
      const pinned = `${api}/revision/${w.commit()}`;
      w.sim.injectFault(new RegExp(`^${pinned}$`), {
        kind: 'body',
        body: '<html>Please log in to the Wi-Fi</html>',
        headers: { 'Content-Type': 'text/html' },
      });
      await w.call(pinned);
      const next = await w.call(pinned);
      expect({ status: next.status, body: next.text().slice(0, 40) }).toEqual({
        status: 200,
        body: expect.stringMatching(/^\{/),
      });
      expect(next.json().sha).toBe(w.commit());
    });

    tally.it(
      'an error body with CR/LF and non-Latin-1 text: X-Error-Message stays one safe line, the JSON keeps it',
      async () => {
        const message = 'Invalid rev id\r\nX-Injected: yes\r\n\r\n模型 🚫 ' + 'ä'.repeat(100);
        w.sim.injectFault(/^\/api\/models\/org\/model\/revision\/hostile-error$/, {
          kind: 'body',
          status: 404,
          body: JSON.stringify({ error: message }),
          headers: { 'X-Error-Code': 'RevisionNotFound', 'X-Error-Message': '' },
        });
        const res = await w.call(`${api}/revision/hostile-error`);
        expect(res.status).toBe(404);
        expect(res.headers['x-error-code']).toBe('RevisionNotFound');
        expect(res.headers['x-injected']).toBeUndefined();
        expect(res.headers['x-error-message']).toMatch(/^[\x20-\x7e]+$/);
        expect(res.json().error).toBe(message);
      },
    );

    tally.it('an empty X-Error-Message on a HEAD error still gives the client a message', async () => {
      w.sim.injectFault(/^\/org\/model\/resolve\/main\/empty-message\.json$/, {
        kind: 'body',
        status: 404,
        body: '',
        headers: { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': '' },
      });
      const res = await w.call('/org/model/resolve/main/empty-message.json');
      expect(res.status).toBe(404);
      expect(res.json().error).not.toBe('');
      expect(res.headers['x-error-message']).not.toBe('');
    });

    tally.it('a 2 MiB error body: read no further than a limit, a clean Hub error', async () => {
      w.sim.injectFault(/^\/org\/model\/resolve\/main\/giant-error\.json$/, {
        kind: 'body',
        status: 404,
        body: JSON.stringify({ error: 'x'.repeat(2 * MiB) }),
        headers: { 'X-Error-Message': '' },
      });
      const res = await w.call('/org/model/resolve/main/giant-error.json');
      expect(res.status).toBe(404);
      expect(res.body.length).toBeLessThan(64 * 1024);
    });

    tally.it('a hostile X-Error-Code is not passed on as it is', async () => {
      w.sim.injectFault(/^\/org\/model\/resolve\/main\/hostile-code\.json$/, {
        kind: 'headers',
        set: { 'X-Error-Code': '<script>alert(1)</script>' },
      });
      const res = await w.call('/org/model/resolve/main/hostile-code.json');
      expect(res.status).toBe(404);
      expect(res.headers['x-error-code']).toMatch(/^[A-Za-z]+$/);
    });

    tally.it(
      'a 5xx storm: a cached answer is served stale, an uncached one is a 503 UpstreamUnavailable',
      async () => {
        expect((await w.call(`${api}?storm=cached`)).status).toBe(200);
        const g = await w.startGateway({ revisionTtlSeconds: 0 });
        expect((await w.call(`${api}?storm=cached`)).status).toBe(200);
        const cached = `${api}?storm=cached`;
        expect((await fetch(g.url + cached)).status).toBe(200);
        w.sim.injectFault(/^\/api\//, { kind: 'status', status: 500 }, 100);
        const stale = await fetch(g.url + cached);
        expect(stale.status).toBe(200);
        expect(stale.headers.get('x-dingo-cache')).toBe('STALE');
        const uncached = await fetch(`${g.url}${api}?storm=uncached`);
        expect(uncached.status).toBe(503);
        expect(uncached.headers.get('x-error-code')).toBe('UpstreamUnavailable');
      },
    );
  });
});
