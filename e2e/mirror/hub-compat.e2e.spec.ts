import { http, sha256 } from '@dingo/testing';
import { readFileSync } from 'node:fs';
import { startWorld, TOKEN, World } from './fixtures';

/** The gateway must look like the Hub to a client: same statuses, headers and bytes. */
describe('Hub compatibility (embedded gateway vs. upstream simulator)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.close());

  const repo = () => w.sim.repo('model', 'org/model')!;

  it('HEAD on a regular file answers like the Hub', async () => {
    const file = repo().file('main', 'config.json')!;
    const res = await http(`${w.gateway.url}/org/model/resolve/main/config.json`, {
      method: 'HEAD',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toBe(`"${file.blobId}"`);
    expect(res.headers['x-repo-commit']).toBe(repo().resolve('main')!.sha);
    expect(res.headers['content-length']).toBe(String(file.size));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.headers['x-linked-etag']).toBeUndefined();
  });

  it('HEAD on an LFS file answers 200 from the mirror with the linked etag and size', async () => {
    const file = repo().file('main', 'model.safetensors')!;
    const res = await http(`${w.gateway.url}/org/model/resolve/main/model.safetensors`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['location']).toBeUndefined();
    expect(res.headers['x-linked-etag']).toBe(`"${file.sha256}"`);
    expect(res.headers['etag']).toBe(`"${file.sha256}"`);
    expect(res.headers['x-linked-size']).toBe(String(file.size));
    expect(res.headers['content-length']).toBe(String(file.size));
  });

  it('GET serves identical bytes for every revision form', async () => {
    const commit = repo().resolve('main')!.sha;
    const firstCommit = repo().commits[0].sha;
    const cases: Array<[string, string, string]> = [
      ['main', 'config.json', commit],
      ['v1.0', 'config.json', firstCommit],
      [firstCommit, 'config.json', firstCommit],
      [firstCommit.slice(0, 7), 'config.json', firstCommit],
      ['refs%2Fpr%2F1', 'config.json', firstCommit],
      ['main', 'nested/deeper/weights.bin', commit],
      ['main', 'model.safetensors', commit],
    ];
    for (const [rev, path, expectedCommit] of cases) {
      const res = await http(`${w.gateway.url}/org/model/resolve/${rev}/${path}`);
      const expected = readFileSync(repo().file(expectedCommit, path)!.diskPath);
      expect({ rev, path, status: res.status }).toEqual({ rev, path, status: 200 });
      expect(res.headers['x-repo-commit']).toBe(expectedCommit);
      expect(sha256(res.body)).toBe(sha256(expected));
    }
  });

  it('serves datasets (refs/convert/parquet) and spaces', async () => {
    const ds = w.sim.repo('dataset', 'org/data')!;
    const res = await http(
      `${w.gateway.url}/datasets/org/data/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet`,
    );
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(ds.file('refs/convert/parquet', 'default/train/0000.parquet')!.sha256);
    const space = await http(`${w.gateway.url}/spaces/org/space/resolve/main/app.py`);
    expect(space.body.toString()).toBe('print(1)\n');
  });

  it('answers Range requests with 206 and Content-Range, 416 when unsatisfiable', async () => {
    const file = repo().file('main', 'model.safetensors')!;
    const bytes = readFileSync(file.diskPath);
    const url = `${w.gateway.url}/org/model/resolve/main/model.safetensors`;
    const mid = await http(url, { headers: { range: 'bytes=1048570-2097160' } });
    expect(mid.status).toBe(206);
    expect(mid.headers['content-range']).toBe(`bytes 1048570-2097160/${file.size}`);
    expect(mid.body.equals(bytes.subarray(1048570, 2097161))).toBe(true);
    const first = await http(url, { headers: { range: 'bytes=0-0' } });
    expect(first.status).toBe(206);
    expect(first.headers['content-range']).toBe(`bytes 0-0/${file.size}`);
    const tail = await http(url, { headers: { range: `bytes=${file.size - 10}-` } });
    expect(tail.body.equals(bytes.subarray(file.size - 10))).toBe(true);
    const bad = await http(url, { headers: { range: `bytes=${file.size}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${file.size}`);
  });

  it('never passes Xet headers on, so clients download over plain HTTP', async () => {
    const direct = await http(`${w.sim.url}/org/model/resolve/main/xet.safetensors`, { method: 'HEAD' });
    expect(direct.headers['x-xet-hash']).toBeTruthy();
    const res = await http(`${w.gateway.url}/org/model/resolve/main/xet.safetensors`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['x-xet-hash']).toBeUndefined();
    expect(res.headers['x-xet-refresh-route']).toBeUndefined();
    expect(res.headers['link'] ?? '').not.toMatch(/xet/);
  });

  it.each([
    ['unknown repo, anonymous', '/org/nope/resolve/main/x', {}],
    ['unknown repo, with token', '/org/nope/resolve/main/x', { authorization: `Bearer ${TOKEN}` }],
    ['unknown revision', '/org/model/resolve/no-such-branch/config.json', {}],
    ['unknown file', '/org/model/resolve/main/nope.json', {}],
    ['gated, anonymous', '/org/gated-model/resolve/main/config.json', {}],
    [
      'gated, not approved',
      '/org/gated-model/resolve/main/config.json',
      { authorization: 'Bearer hf_other' },
    ],
    ['private, anonymous', '/org/private-model/resolve/main/config.json', {}],
    ['api: unknown repo', '/api/models/org/nope', {}],
    ['api: unknown revision', '/api/models/org/model/revision/nope', {}],
    ['api: tree of unknown path', '/api/models/org/model/tree/main/nope', {}],
  ])('relays the Hub error for %s', async (_name, path, headers) => {
    const [direct, mirrored] = await Promise.all([
      http(w.sim.url + path, { headers }),
      http(w.gateway.url + path, { headers }),
    ]);
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect({
      status: mirrored.status,
      code: mirrored.headers['x-error-code'],
      message: mirrored.headers['x-error-message'],
    }).toEqual({
      status: direct.status,
      code: direct.headers['x-error-code'],
      message: direct.headers['x-error-message'],
    });
    expect(JSON.parse(mirrored.body.toString()).error).toBeTruthy();
  });

  it('passes the client token upstream for gated repos', async () => {
    const res = await http(`${w.gateway.url}/org/gated-model/resolve/main/weights.safetensors`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(
      w.sim.repo('model', 'org/gated-model')!.file('main', 'weights.safetensors')!.sha256,
    );
    // Cached now; an anonymous caller still gets the Hub's refusal.
    const anon = await http(`${w.gateway.url}/org/gated-model/resolve/main/weights.safetensors`);
    expect(anon.status).toBe(401);
    expect(anon.headers['x-error-code']).toBe('GatedRepo');
    const other = await http(`${w.gateway.url}/org/gated-model/resolve/main/weights.safetensors`, {
      headers: { authorization: 'Bearer hf_other' },
    });
    expect(other.status).toBe(403);
  });

  it('proxies repo info, tree with Link paging rewritten onto the mirror, and paths-info', async () => {
    const info = await http(`${w.gateway.url}/api/models/org/model/revision/main?blobs=true`);
    expect(info.status).toBe(200);
    const body = JSON.parse(info.body.toString());
    expect(body.sha).toBe(repo().resolve('main')!.sha);
    expect(body.siblings.map((s: { rfilename: string }) => s.rfilename)).toContain('model.safetensors');

    const paths: string[] = [];
    let url: string | undefined =
      `${w.gateway.url}/api/models/org/model/tree/main?recursive=true&expand=true`;
    let pages = 0;
    while (url) {
      const page = await http(url);
      expect(page.status).toBe(200);
      for (const e of JSON.parse(page.body.toString())) paths.push(e.path);
      const next = /<([^>]+)>;\s*rel="next"/.exec(page.headers['link'] ?? '');
      if (next) expect(next[1].startsWith(w.gateway.url)).toBe(true);
      url = next?.[1];
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(paths).toEqual(
      expect.arrayContaining(['config.json', 'nested', 'nested/deeper/weights.bin', 'model.safetensors']),
    );

    const pi = await http(`${w.gateway.url}/api/models/org/model/paths-info/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: ['config.json', 'model.safetensors'], expand: false }),
    });
    expect(pi.status).toBe(200);
    expect(
      JSON.parse(pi.body.toString())
        .map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['config.json', 'model.safetensors']);

    const list = await http(`${w.gateway.url}/api/models?search=model`);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body.toString()).map((m: { id: string }) => m.id)).toContain('org/model');
  });

  it('rejects traversal and encoded slashes with 400 and writes nothing outside the store', async () => {
    for (const path of [
      '/org/model/resolve/main/..%2F..%2F..%2Fetc%2Fpasswd',
      '/org/model/resolve/main/a/%2E%2E/%2E%2E/x',
      '/org%2F..%2F../model/resolve/main/config.json',
      '/org/model/resolve/..%2F..%2Fx/config.json',
      '/api/models/org/model/tree/main/..%2F..',
      '/datasets/org/data/resolve/main/%00',
    ]) {
      const res = await http(w.gateway.url + path);
      expect({ path, status: res.status, code: res.headers['x-error-code'] }).toEqual({
        path,
        status: 400,
        code: 'BadRequest',
      });
    }
  });

  it('exposes /health (dependencies up, upstream reported) and Prometheus /metrics', async () => {
    const health = await http(`${w.gateway.url}/health`);
    expect(health.status).toBe(200);
    const body = JSON.parse(health.body.toString());
    expect(body.status).toBe('ok');
    expect(body.info.metadata.status).toBe('up');
    expect(body.info.chunkStore.status).toBe('up');
    expect(body.info.upstream.origins[0].origin).toBe(w.sim.url);
    await http(`${w.gateway.url}/org/model/resolve/main/config.json`);
    const metrics = (await http(`${w.gateway.url}/metrics`)).body.toString();
    expect(metrics).toMatch(/^dingo_served_bytes_total\{source="(cache|upstream)"\} [1-9]\d*$/m);
    expect(metrics).toMatch(
      /^dingo_http_requests_total\{route="resolve",method="GET",status="200",cache="\w+"\} [1-9]\d*$/m,
    );
    expect(metrics).toMatch(/^dingo_upstream_bytes_total [1-9]\d*$/m);
    expect(metrics).toContain(`dingo_upstream_up{origin="${w.sim.url}"} 1`);
  });
});
