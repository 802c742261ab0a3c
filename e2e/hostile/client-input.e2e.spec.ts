import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { groupTally } from './tally';
import { filesUnder, Reply, sha256, startWorld, World } from './world';

const tally = groupTally('client input');

/** Whatever a client sends, the mirror answers in the Hub's format, never reaches outside its store, and stays healthy. */
describe('hostile client input', () => {
  let w: World;
  let tokenizer: Buffer;
  beforeAll(async () => {
    w = await startWorld();
    tokenizer = (await w.call('/org/model/resolve/main/tokenizer.json')).body;
    expect(sha256(tokenizer)).toBe(w.file('tokenizer.json').sha256);
  });
  afterAll(() => w.close());
  beforeEach(() => w.sim.stats.reset());
  // After every case: upstream never saw a path that escapes, and an honest client is served right.
  afterEach(async () => {
    const escaping = w.sim.stats.requests.filter((r) =>
      /\.\.|%2e%2e|%5c|%00|%0d|%0a|\/\//i.test(r.path.split('?')[0]),
    );
    expect(escaping.map((r) => r.path)).toEqual([]);
    const honest = await w.call('/org/model/resolve/main/config.json');
    expect(honest.status).toBe(200);
    expect(honest.text()).toBe(JSON.stringify({ model_type: 'llama', hidden_size: 64 }));
  });

  const hubError = (res: Reply, status: number, code?: string) => {
    expect({ status: res.status, code: res.headers['x-error-code'] }).toEqual({
      status,
      code: code ?? expect.any(String),
    });
    if (res.headers['content-type']?.includes('json'))
      expect(res.json()).toEqual({ error: expect.any(String) });
  };

  describe('path traversal and malformed paths', () => {
    const cases: Array<[string, string, number]> = [
      ['dot segments', '/org/model/resolve/main/../../../etc/passwd', 400],
      ['percent-encoded dots', '/org/model/resolve/main/%2e%2e/%2e%2e/etc/passwd', 400],
      ['upper-case encoded dots and slashes', '/org/model/resolve/main/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', 400],
      ['encoded slash after dots', '/org/model/resolve/main/..%2f..%2fetc%2fpasswd', 400],
      ['half-encoded dot segment', '/org/model/resolve/main/.%2e/config.json', 400],
      ['encoded backslashes', '/org/model/resolve/main/..%5c..%5cetc%5cpasswd', 400],
      ['overlong UTF-8 dots (malformed escape)', '/org/model/resolve/main/%c0%ae%c0%ae/etc/passwd', 400],
      ['NUL byte', '/org/model/resolve/main/config.json%00.txt', 400],
      ['CR/LF header injection', '/org/model/resolve/main/config.json%0d%0aX-Injected:%20yes', 400],
      ['tab', '/org/model/resolve/main/con%09fig.json', 400],
      ['empty segment (absolute path)', '/org/model/resolve/main//etc/passwd', 400],
      ['single-dot segment', '/org/model/resolve/main/nested/./deeper/weights.bin', 400],
      ['empty file path', '/org/model/resolve/main/', 400],
      ['dot-dot repo namespace', '/../../etc/resolve/main/passwd', 400],
      ['repo id ending in .git', '/org/model.git/resolve/main/config.json', 400],
      ['encoded traversal in the repo id', '/org/..%2f..%2fmodel/resolve/main/config.json', 400],
      ['traversal in the revision', '/org/model/resolve/..%2f..%2fmain/config.json', 400],
      ['traversal inside refs/', '/org/model/resolve/refs%2F..%2F..%2Fx/config.json', 400],
      ['NUL in the revision', '/org/model/resolve/ma%00in/config.json', 400],
      ['git revision syntax (~, ^, :)', '/org/model/resolve/main~1/config.json', 400],
      ['over-long revision (300)', `/org/model/resolve/${'a'.repeat(300)}/config.json`, 400],
      ['over-long file path (>1024)', `/org/model/resolve/main/${'a/'.repeat(600)}x`, 400],
      ['over-long repo name (200)', `/org/${'n'.repeat(200)}/resolve/main/config.json`, 400],
      ['emoji repo id', '/org/%F0%9F%92%A3/resolve/main/config.json', 400],
      ['API tree traversal', '/api/models/org/model/tree/main/..%2F..%2F..', 400],
      ['API tree encoded dot-dot', '/api/models/org/model/tree/main/%2e%2e', 400],
      ['API repo id traversal', '/api/models/..%2Fadmin/revision/main', 400],
      ['API revision traversal', '/api/models/org/model/revision/main%2F..%2F..', 400],
      ['API over-long revision', `/api/models/org/model/revision/${'r'.repeat(300)}`, 400],
    ];
    for (const [name, path, status] of cases)
      tally.it(`${name} → ${status}, nothing fetched`, async () => {
        const res = await w.call(path);
        hubError(res, status, 'BadRequest');
        expect(res.headers['x-injected']).toBeUndefined();
        expect(res.text()).not.toMatch(/root:|\[boot loader\]/);
      });

    tally.it(
      'double-encoded dots are a literal file name: a plain 404 from the commit, no traversal',
      async () => {
        const res = await w.call('/org/model/resolve/main/%252e%252e/%252e%252e/etc/passwd');
        hubError(res, 404, 'EntryNotFound');
        expect(res.headers['x-repo-commit']).toBe(w.commit());
      },
    );

    tally.it('a non-ASCII file name is a Hub 404, not a 500', async () => {
      hubError(await w.call('/org/model/resolve/main/%E6%A8%A1%E5%9E%8B.bin'), 404, 'EntryNotFound');
    });

    tally.it('a dot-dot between repo type and id: refused (400) or no route (404)', async () => {
      const res = await w.call('/datasets/../org/model/resolve/main/config.json');
      expect([400, 404]).toContain(res.status);
      hubError(res, res.status);
    });

    tally.it('nothing was ever written outside the data dir or named after a traversal target', async () => {
      expect(filesUnder(w.gateway.dataDir).filter((f) => /passwd|\.\./.test(f))).toEqual([]);
      expect(existsSync(join(w.gateway.dataDir, '..', 'etc'))).toBe(false);
    });
  });

  describe('Range headers', () => {
    const size = 300_000;
    const get = (range: string, method = 'GET') =>
      w.call('/org/model/resolve/main/tokenizer.json', { method, headers: { range } });
    const whole = (res: Reply) => {
      expect(res.status).toBe(200);
      expect(res.body.equals(tokenizer)).toBe(true);
      expect(res.headers['content-range']).toBeUndefined();
    };
    const part = (res: Reply, start: number, end: number) => {
      expect(res.status).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.body.equals(tokenizer.subarray(start, end + 1))).toBe(true);
    };
    const unsatisfiable = (res: Reply) => {
      expect(res.status).toBe(416);
      expect(res.headers['content-range']).toBe(`bytes */${size}`);
    };

    tally.it('multi-range: the whole file (allowed by RFC 9110)', async () =>
      whole(await get('bytes=0-1,5-9')),
    );
    tally.it('suffix range: the last N bytes', async () =>
      part(await get('bytes=-100'), size - 100, size - 1),
    );
    tally.it('suffix larger than the file: all of it as 206', async () =>
      part(await get('bytes=-999999'), 0, size - 1),
    );
    tally.it('bytes=-0: 416 with the size', async () => unsatisfiable(await get('bytes=-0')));
    tally.it('reversed range: ignored, whole file', async () => whole(await get('bytes=100-50')));
    tally.it('huge end: clamped to the file', async () =>
      part(await get('bytes=0-99999999999999999999'), 0, size - 1),
    );
    tally.it('huge start: 416', async () => unsatisfiable(await get('bytes=99999999999999999999-')));
    tally.it('start at the size: 416', async () => unsatisfiable(await get(`bytes=${size}-`)));
    tally.it('non-numeric: ignored', async () => whole(await get('bytes=a-b')));
    tally.it('empty spec: ignored', async () => whole(await get('bytes=')));
    tally.it('another unit: ignored', async () => whole(await get('items=0-10')));
    tally.it('negative start: ignored', async () => whole(await get('bytes=-5-10')));
    tally.it('one byte at each end', async () => {
      part(await get('bytes=0-0'), 0, 0);
      part(await get(`bytes=${size - 1}-${size - 1}`), size - 1, size - 1);
    });
    tally.it('whitespace around the numbers', async () => part(await get('bytes = 10 - 19'), 10, 19));
    tally.it('HEAD with a Range: the headers of the 206, no body', async () => {
      const res = await get('bytes=10-19', 'HEAD');
      expect(res.status).toBe(206);
      expect(res.headers['content-length']).toBe('10');
      expect(res.body.length).toBe(0);
    });
    tally.it('a range to EOF of a file not cached yet: the right bytes', async () => {
      const repo = await w.freshRepo([{ path: 'w.safetensors', size: 2 * 1024 * 1024 + 11 }], 'range');
      const f = repo.f('w.safetensors');
      const res = await w.call(`/${repo.id}/resolve/main/w.safetensors`, {
        headers: { range: 'bytes=1500000-' },
      });
      expect(res.status).toBe(206);
      expect(
        sha256(
          Buffer.concat([
            (
              await w.call(`/${repo.id}/resolve/main/w.safetensors`, {
                headers: { range: 'bytes=0-1499999' },
              })
            ).body,
            res.body,
          ]),
        ),
      ).toBe(f.sha256);
    });
  });

  describe('methods and headers', () => {
    tally.it('HEAD and GET agree on every header; HEAD has no body', async () => {
      for (const path of ['config.json', 'model.safetensors']) {
        const head = await w.call(`/org/model/resolve/main/${path}`, { method: 'HEAD' });
        const get = await w.call(`/org/model/resolve/main/${path}`);
        expect(head.body.length).toBe(0);
        for (const h of [
          'etag',
          'x-repo-commit',
          'content-length',
          'x-linked-etag',
          'x-linked-size',
          'accept-ranges',
        ])
          expect({ h, v: head.headers[h] }).toEqual({ h, v: get.headers[h] });
      }
    });

    for (const method of ['PUT', 'DELETE', 'PATCH', 'POST'])
      tally.it(`${method} on a resolve URL writes nothing and is refused`, async () => {
        const res = await w.call('/org/model/resolve/main/config.json', {
          method,
          body: 'overwrite',
          headers: { 'content-type': 'text/plain' },
        });
        expect([401, 403, 404, 405]).toContain(res.status);
        expect(w.sim.stats.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
      });

    tally.it('an unknown method gets a 4xx, and the server carries on', async () => {
      const res = await w.call('/org/model/resolve/main/config.json', { method: 'PROPFIND' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });

    tally.it('a 32 KB header is refused (431) without harm', async () => {
      const res = await w.call('/org/model/resolve/main/config.json', {
        headers: { cookie: 'x'.repeat(32 * 1024) },
      });
      expect(res.status === 431 || res.error !== undefined).toBe(true);
    });

    tally.it(
      'two hundred headers are served; a thousand are refused by the HTTP parser, and the server carries on',
      async () => {
        const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']));
        expect((await w.call('/org/model/resolve/main/config.json', { headers: many(200) })).status).toBe(
          200,
        );
        expect([400, 431]).toContain(
          (await w.call('/org/model/resolve/main/config.json', { headers: many(1000) })).status,
        );
      },
    );

    tally.it('Accept-Encoding of any kind: file bytes are sent as they are', async () => {
      const res = await w.call('/org/model/resolve/main/tokenizer.json', {
        headers: { 'accept-encoding': 'gzip;q=1000, br, deflate, *' },
      });
      expect(res.headers['content-encoding'] ?? 'identity').toBe('identity');
      expect(res.body.equals(tokenizer)).toBe(true);
    });

    tally.it('conditional headers with garbage are ignored: the whole file', async () => {
      const res = await w.call('/org/model/resolve/main/tokenizer.json', {
        headers: { 'if-none-match': '*', 'if-range': '"nonsense"', 'if-modified-since': 'yesterday' },
      });
      expect([200, 304]).toContain(res.status);
      if (res.status === 200) expect(res.body.equals(tokenizer)).toBe(true);
    });

    tally.it('an empty Host header: served, the link uses the connected address', async () => {
      const res = await w.call('/api/models/org/model/tree/main?recursive=true', { headers: { host: '' } });
      expect([200, 400]).toContain(res.status);
      if (res.status === 200) expect(res.headers.link).toContain(`<${w.url}/`);
    });

    tally.it('a Host with a path, userinfo or CRLF-looking text is never reflected', async () => {
      for (const host of [
        'evil.example/x?',
        'user:pw@evil.example',
        'evil.example:80@127.0.0.1',
        '[::1]:0',
      ]) {
        const res = await w.call('/api/models/org/model/tree/main?recursive=true', { headers: { host } });
        expect({ host, link: res.headers.link ?? '' }).toEqual({
          host,
          link: expect.not.stringContaining('evil'),
        });
      }
    });
  });

  describe('API bodies and queries', () => {
    const pathsInfo = (body: string, contentType = 'application/json') =>
      w.call('/api/models/org/model/paths-info/main', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });

    tally.it('invalid JSON to paths-info: 400, not 500, nothing sent upstream', async () => {
      hubError(await pathsInfo('{"paths": ["config.json"'), 400, 'BadRequest');
      expect(w.sim.stats.requests).toEqual([]);
    });
    tally.it('paths as an object ({"$gt": ""}): a 4xx', async () => {
      const res = await pathsInfo('{"paths": {"$gt": ""}}');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
    tally.it('traversal in paths-info paths finds nothing outside the repo', async () => {
      const res = await pathsInfo(JSON.stringify({ paths: ['../../etc/passwd', '/etc/passwd', '..'] }));
      expect(res.status).toBe(200);
      expect(res.json()).toEqual([]);
    });
    tally.it('a 2 MiB paths-info body is 413, not buffered upstream', async () => {
      const res = await pathsInfo(JSON.stringify({ paths: ['x'.repeat(2 * 1024 * 1024)] }));
      hubError(res, 413, 'PayloadTooLarge');
      expect(w.sim.stats.requests).toEqual([]);
    });
    tally.it('5000 form paths: answered or refused cleanly', async () => {
      const body = Array.from({ length: 5000 }, (_, i) => `paths=f${i}`).join('&');
      const res = await pathsInfo(body, 'application/x-www-form-urlencoded');
      expect(res.status).toBeLessThan(500);
    });
    tally.it('__proto__ in a JSON body pollutes nothing', async () => {
      await pathsInfo(
        '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "paths": ["config.json"]}',
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
    tally.it('__proto__ in the query pollutes nothing', async () => {
      const res = await w.call(
        '/api/models/org/model/tree/main?__proto__[polluted]=yes&constructor[prototype][polluted]=yes',
      );
      expect(res.status).toBeLessThan(500);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
    tally.it(
      'a thousand query parameters: answered, and one cache entry does not become a thousand',
      async () => {
        const q = Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&');
        const res = await w.call(`/api/models/org/model/tree/main?${q}`);
        expect(res.status).toBeLessThan(500);
      },
    );
    tally.it('a 20 KB query string: refused by size (414/431) or answered, never a crash', async () => {
      const res = await w.call(`/api/models/org/model/tree/main?x=${'a'.repeat(20_000)}`);
      expect(res.status === 0 ? res.error : res.status).toBeDefined();
      if (res.status) expect(res.status).toBeLessThan(500);
    });
    tally.it('duplicate and malformed query values: no 5xx', async () => {
      for (const q of ['recursive=true&recursive=false', 'recursive=%zz', 'expand=%00', 'cursor=!!!'])
        expect((await w.call(`/api/models/org/model/tree/main?${q}`)).status).toBeLessThan(500);
    });
    tally.it('a forged tree cursor is refused upstream and passed on as a 400', async () => {
      const res = await w.call('/api/models/org/model/tree/main?cursor=eyJmaWxlX25hbWUiOiIuLi8uLi9ldGMifQ');
      expect(res.status).toBe(400);
    });
    tally.it('the admin login refuses operator-shaped JSON', async () => {
      const res = await w.call('/admin/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username": {"$ne": null}, "password": {"$ne": null}}',
      });
      expect(res.status).toBe(400);
    });
  });
});
