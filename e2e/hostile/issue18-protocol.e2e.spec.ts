import { RunningGateway } from '@dingo/testing';
import { groupTally } from './tally';
import { call, MiB, Reply, startWorld, until, World } from './world';

const tally = groupTally('issue #18 points');

/** Optional files transformers/tokenizers probe for, which most repos do not have. */
const ABSENT = [
  'tokenizer.model',
  'chat_template.jinja',
  'added_tokens.json',
  'special_tokens_map.json',
  'preprocessor_config.json',
  'adapter_config.json',
  'model.safetensors.index.json',
];

/** Issue #18, Protocol: points 11, 12, 13a (the HTTP side of what the Python clients found). */
describe('issue #18 protocol', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.close());
  beforeEach(() => w.sim.clearFaults());

  /** A repo of its own whose commit's file list the gateway has learned (after serving one of its files). */
  const knownRepo = async (g: RunningGateway = w.gateway) => {
    const repo = await w.freshRepo(
      [
        { path: 'config.json', content: '{"model_type":"bert"}' },
        { path: 'tokenizer.json', size: 200_000, lfs: false },
        { path: 'model.safetensors', size: MiB + 3 },
        { path: 'sub/dir/extra.bin', size: 1000, lfs: true },
      ],
      'known',
    );
    const commit = repo.resolve('main')!.sha;
    expect((await call(g.url, `/${repo.id}/resolve/main/config.json`)).status).toBe(200);
    await until(
      async () => !!(await g.adapters.meta.getManifest('model', repo.id, commit)),
      10_000,
      'file list learned',
    );
    return { repo, commit };
  };

  const expectEntryNotFound = (res: Reply, commit: string) => {
    expect(res.status).toBe(404);
    expect(res.headers['x-error-code']).toBe('EntryNotFound');
    expect(res.headers['x-repo-commit']).toBe(commit);
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['x-error-message']).toBeDefined();
  };

  tally.it(
    "#18.11 a 404 EntryNotFound from resolve carries X-Repo-Commit and the Hub's other headers, the first (upstream-answered) time too",
    async () => {
      const repo = await w.freshRepo([{ path: 'config.json', content: '{}' }], 'enf');
      const commit = repo.resolve('main')!.sha;
      for (const method of ['HEAD', 'GET']) {
        const hub = await call(w.sim.url, `/${repo.id}/resolve/main/missing-${method}.json`, { method });
        const mirror = await w.call(`/${repo.id}/resolve/main/missing-${method}.json`, { method });
        expectEntryNotFound(mirror, commit);
        expect(hub.headers['x-repo-commit']).toBe(commit);
        expect(mirror.headers['x-error-code']).toBe(hub.headers['x-error-code']);
        expect(mirror.headers['access-control-expose-headers']).toMatch(/X-Repo-Commit/i);
        if (method === 'GET') expect(mirror.json()).toEqual({ error: expect.any(String) });
      }
    },
  );

  tally.it(
    '#18.12 with upstream down, paths-info of a known commit is answered from the local index (form and JSON bodies)',
    async () => {
      const { repo, commit } = await knownRepo();
      const paths = ['config.json', 'model.safetensors', 'sub/dir/extra.bin', 'not-there.txt'];
      const form = paths.map((p) => `paths=${encodeURIComponent(p)}`).join('&') + '&expand=False';
      const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
      const upstream = (
        await call(w.sim.url, `/api/models/${repo.id}/paths-info/main`, {
          method: 'POST',
          headers: formHeaders,
          body: form,
        })
      ).json() as Array<{ path: string }>;
      const byPath = (a: Array<{ path: string }>) => [...a].sort((x, y) => x.path.localeCompare(y.path));
      await w.sim.stop();
      try {
        for (const rev of ['main', commit]) {
          const viaForm = await w.call(`/api/models/${repo.id}/paths-info/${rev}`, {
            method: 'POST',
            headers: formHeaders,
            body: form,
          });
          expect(viaForm.status).toBe(200);
          expect(byPath(viaForm.json())).toEqual(byPath(upstream));
          const viaJson = await w.call(`/api/models/${repo.id}/paths-info/${rev}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ paths, expand: false }),
          });
          expect(viaJson.status).toBe(200);
          expect(byPath(viaJson.json())).toEqual(byPath(upstream));
        }
      } finally {
        await w.sim.restart();
      }
    },
  );

  tally.it(
    '#18.12 a tree listing cached for one spelling of the query answers every spelling of it offline',
    async () => {
      const repo = await w.freshRepo(
        [
          { path: 'a.json', content: '{}' },
          { path: 'b/c.json', content: '{}' },
        ],
        'spelling',
      );
      const online = await w.call(`/api/models/${repo.id}/tree/main?recursive=true`);
      expect(online.status).toBe(200);
      await w.sim.stop();
      try {
        for (const query of [
          'recursive=True&expand=False',
          'expand=False&recursive=True',
          'recursive=TRUE',
          'expand=false&recursive=true',
        ]) {
          const res = await w.call(`/api/models/${repo.id}/tree/main?${query}`);
          expect({ query, status: res.status }).toEqual({ query, status: 200 });
          expect(res.json()).toEqual(online.json());
        }
      } finally {
        await w.sim.restart();
      }
    },
  );

  tally.it(
    '#18.13a probes of files the known commit lacks are 404 EntryNotFound with X-Repo-Commit at once, with no upstream request, online and offline',
    async () => {
      const { repo, commit } = await knownRepo();
      const probe = async () => {
        for (const rev of ['main', commit])
          for (const path of ABSENT)
            for (const method of ['HEAD', 'GET']) {
              const res = await w.call(`/${repo.id}/resolve/${rev}/${path}`, { method });
              expectEntryNotFound(res, commit);
              expect(res.ms).toBeLessThan(500);
            }
        const tree = await w.call(`/api/models/${repo.id}/tree/${commit}/no/such/dir`);
        expectEntryNotFound(tree, commit);
      };
      w.sim.stats.reset();
      await probe();
      expect(w.sim.stats.requests).toEqual([]);
      await w.sim.stop();
      try {
        await probe();
      } finally {
        await w.sim.restart();
      }
    },
  );

  tally.it(
    "#18.13a unknown API routes get the Hub's own 404 (passed on), other unknown paths a Hub-style 404",
    async () => {
      for (const path of ['/api/models/org/model/no-such-subresource', '/api/no-such-api']) {
        const hub = await call(w.sim.url, path);
        const mirror = await w.call(path);
        expect(mirror.status).toBe(404);
        expect(mirror.json()).toEqual(hub.json());
      }
      const other = await w.call('/definitely/not/a/hub/route');
      expect(other.status).toBe(404);
      expect(other.headers['x-error-code']).toBe('NotFound');
      expect(other.json()).toEqual({ error: expect.any(String) });
    },
  );

  /** What a transformers load of a cached model asks the mirror, timed (`absent`: how many optional files it probes). */
  const load = async (g: RunningGateway, id: string, absent = ABSENT.length) => {
    const started = performance.now();
    const statuses: number[] = [];
    const hit = async (path: string, method = 'GET') =>
      statuses.push((await call(g.url, path, { method })).status);
    await hit(`/api/models/${id}/revision/main`);
    for (const path of ['config.json', 'tokenizer.json', 'model.safetensors']) {
      await hit(`/${id}/resolve/main/${path}`, 'HEAD');
      await hit(`/${id}/resolve/main/${path}`);
    }
    for (const path of ABSENT.slice(0, absent)) await hit(`/${id}/resolve/main/${path}`, 'HEAD');
    return { ms: performance.now() - started, statuses };
  };

  tally.it(
    '#18.13a a cached model loads with the upstream stopped within 1.5x its online time (same answers)',
    async () => {
      const { repo } = await knownRepo();
      await load(w.gateway, repo.id); // warm: everything cached
      const online = await load(w.gateway, repo.id);
      await w.sim.stop();
      try {
        const offline = await load(w.gateway, repo.id);
        expect(offline.statuses).toEqual(online.statuses);
        expect(offline.ms).toBeLessThan(1.5 * online.ms + 750);
      } finally {
        await w.sim.restart();
      }
    },
  );

  tally.it(
    '#18.13a ... also when the upstream hangs instead of refusing, once branch names have expired (a firewall dropping packets)',
    async () => {
      const g = await w.startGateway({ revisionTtlSeconds: 1, upstreamTimeoutMs: 1000 });
      const { repo } = await knownRepo(g);
      await load(g, repo.id, 2);
      const online = await load(g, repo.id, 2);
      await new Promise((r) => setTimeout(r, 1100)); // `main` is due for a re-check
      // Every hub request is accepted and never answered.
      w.sim.injectFault(/./, { kind: 'slow-start', delayMs: 60_000 }, 1000);
      const hubBefore = w.sim.stats.count({ origin: 'hub' });
      try {
        const offline = await load(g, repo.id, 2);
        expect(offline.statuses).toEqual(online.statuses);
        // One upstream timeout may be spent noticing; not one per request: the hanging hub is tried
        // by one request at a time (counted, not timed), and the load takes about one timeout more.
        expect(w.sim.stats.count({ origin: 'hub' }) - hubBefore).toBeLessThanOrEqual(2);
        expect(offline.ms).toBeLessThan(1.5 * online.ms + 3000);
      } finally {
        w.sim.clearFaults();
      }
    },
    60_000,
  );
});
