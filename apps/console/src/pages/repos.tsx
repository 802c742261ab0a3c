import { useEffect, useState } from 'preact/hooks';
import { api, hubRepoPath, Me, query, repoPath, request } from '../api';
import { bytes, when } from '../format';
import { BASE, onLinkClick } from '../router';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

interface CatalogueItem {
  id: string;
  private: boolean;
  gated: boolean | string;
  pipeline_tag?: string;
  library_name?: string;
  sha?: string;
  dingo: {
    type: string;
    formats: string[];
    totalBytes: number | null;
    fileCount: number | null;
    cachedBytes: number;
    cachedFiles: number;
    revisions: string[];
    mirrorDownloads: number;
    lastAccess: string;
    local?: boolean;
  };
}

interface Filters {
  search: string;
  type: string;
  task: string;
  library: string;
  format: string;
  minSize: string;
  maxSize: string;
  cached: boolean;
  sort: string;
}

const EMPTY: Filters = {
  search: '',
  type: '',
  task: '',
  library: '',
  format: '',
  minSize: '',
  maxSize: '',
  cached: false,
  sort: 'lastAccess',
};

const repoLink = (type: string, id: string) => `/repos/${type}/${id}`;

export function ReposPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const state = useLoad(async () => {
    const r = await request<CatalogueItem[]>(
      'GET',
      '/admin/v1/catalogue' +
        query({ ...filters, cached: filters.cached ? 'true' : undefined, direction: -1, limit: 100 }),
    );
    return { items: r.body, total: Number(r.headers.get('x-total-count') ?? r.body.length) };
  }, [filters]);
  // Hosted repos (pushed to the mirror) come from the Hub listing, answered locally (X-Dingo-Local).
  const hosted = useLoad(async () => {
    const types = filters.type ? [filters.type] : ['model', 'dataset', 'space'];
    const lists = await Promise.all(
      types.map(async (type) => {
        try {
          const r = await request<HostedItem[]>(
            'GET',
            `/api/${type}s` + query({ search: filters.search, limit: 100 }),
            undefined,
            { 'x-dingo-local': '1' },
          );
          return (Array.isArray(r.body) ? r.body : []).filter((i) => i.hosted).map((i) => ({ ...i, type }));
        } catch {
          return []; // e.g. no listing of that type here: the other types still show
        }
      }),
    );
    return lists.flat();
  }, [filters]);
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: value(e) });

  return (
    <Page title="Repos">
      <form
        class="filters"
        role="search"
        aria-label="Search repos"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <Field label="Search" id="f-search">
          <input id="f-search" type="search" value={draft.search} onInput={set('search')} />
        </Field>
        <Field label="Type" id="f-type">
          <select id="f-type" value={draft.type} onChange={set('type')}>
            <option value="">any</option>
            <option value="model">model</option>
            <option value="dataset">dataset</option>
            <option value="space">space</option>
          </select>
        </Field>
        <Field label="Task" id="f-task">
          <input id="f-task" value={draft.task} onInput={set('task')} placeholder="text-generation" />
        </Field>
        <Field label="Library" id="f-library">
          <input id="f-library" value={draft.library} onInput={set('library')} />
        </Field>
        <Field label="Format" id="f-format">
          <input id="f-format" value={draft.format} onInput={set('format')} placeholder="safetensors" />
        </Field>
        <Field label="Min size" id="f-min">
          <input id="f-min" value={draft.minSize} onInput={set('minSize')} placeholder="500MB" />
        </Field>
        <Field label="Max size" id="f-max">
          <input id="f-max" value={draft.maxSize} onInput={set('maxSize')} placeholder="2GiB" />
        </Field>
        <Field label="Sort by" id="f-sort">
          <select id="f-sort" value={draft.sort} onChange={set('sort')}>
            <option value="lastAccess">last access</option>
            <option value="downloads">upstream downloads</option>
            <option value="mirrorDownloads">mirror downloads</option>
            <option value="size">size</option>
            <option value="id">name</option>
          </select>
        </Field>
        <div class="field checkbox">
          <input
            id="f-cached"
            type="checkbox"
            checked={draft.cached}
            onChange={(e) => setDraft({ ...draft, cached: (e.currentTarget as HTMLInputElement).checked })}
          />
          <label for="f-cached">Only cached</label>
        </div>
        <button type="submit">Search</button>
      </form>
      <Status state={state}>
        {(d) => (
          <>
            <p role="status">{d.total} repo(s)</p>
            <Table
              caption="Repos you may read"
              rows={d.items}
              rowKey={(r) => `${r.dingo.type}/${r.id}`}
              empty="No repos match."
              columns={[
                {
                  label: 'Repo',
                  cell: (r) => (
                    <a
                      href={BASE + repoLink(r.dingo.type, r.id)}
                      onClick={(e) => onLinkClick(e, repoLink(r.dingo.type, r.id))}
                    >
                      {r.id}
                    </a>
                  ),
                },
                { label: 'Type', cell: (r) => r.dingo.type },
                { label: 'Task', cell: (r) => r.pipeline_tag ?? '' },
                { label: 'Formats', cell: (r) => r.dingo.formats.join(', ') },
                { label: 'Size', cell: (r) => bytes(r.dingo.totalBytes), numeric: true },
                { label: 'Cached', cell: (r) => bytes(r.dingo.cachedBytes), numeric: true },
                { label: 'Revisions', cell: (r) => r.dingo.revisions.length, numeric: true },
                { label: 'Mirror downloads', cell: (r) => r.dingo.mirrorDownloads, numeric: true },
              ]}
            />
          </>
        )}
      </Status>
      <h2>Hosted repos</h2>
      <Status state={hosted}>
        {(rows) => (
          <Table
            caption="Repos hosted on this mirror"
            rows={rows}
            rowKey={(r) => `${r.type}/${r.id}`}
            empty="No hosted repos match."
            columns={[
              {
                label: 'Repo',
                cell: (r) => (
                  <a
                    href={BASE + repoLink(r.type, r.id)}
                    onClick={(e) => onLinkClick(e, repoLink(r.type, r.id))}
                  >
                    {r.id}
                  </a>
                ),
              },
              { label: 'Type', cell: (r) => r.type },
              { label: 'Visibility', cell: (r) => (r.private ? 'private' : 'public') },
              { label: 'Created', cell: (r) => when(r.createdAt) },
            ]}
          />
        )}
      </Status>
    </Page>
  );
}

interface HostedItem {
  id: string;
  type: string;
  private: boolean;
  hosted?: boolean;
  createdAt: string;
}

interface Refs {
  branches: { name: string; targetCommit: string }[];
  tags: { name: string; targetCommit: string }[];
}

interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid: string;
  lfs?: { size: number };
}

/** Revisions (refs) and the files of one, through the Hub API (hosted repos, or upstream via the mirror). */
function Revisions({ type, id }: { type: string; id: string }) {
  const refs = useLoad(() => api.get<Refs>(`${hubRepoPath(type, id)}/refs`), [type, id]);
  const [revision, setRevision] = useState('main');
  const tree = useLoad(
    () =>
      api.get<TreeEntry[]>(
        `${hubRepoPath(type, id)}/tree/${encodeURIComponent(revision)}` + query({ recursive: 'true' }),
      ),
    [type, id, revision],
  );
  return (
    <section aria-labelledby="revisions-h">
      <h2 id="revisions-h">Revisions and files</h2>
      <Status state={refs}>
        {(r) => (
          <Field label="Revision" id="rev-select">
            <select id="rev-select" value={revision} onChange={(e) => setRevision(value(e))}>
              {[
                ...r.branches.map((b) => ['branch', b] as const),
                ...r.tags.map((t) => ['tag', t] as const),
              ].map(([kind, ref]) => (
                <option value={ref.name} key={`${kind}:${ref.name}`}>
                  {kind} {ref.name} ({ref.targetCommit.slice(0, 10)})
                </option>
              ))}
            </select>
          </Field>
        )}
      </Status>
      <Status state={tree}>
        {(entries) => (
          <Table
            caption={`Files at ${revision}`}
            rows={entries.filter((e) => e.type === 'file')}
            rowKey={(e) => e.path}
            empty="No files."
            columns={[
              { label: 'Path', cell: (e) => e.path },
              { label: 'Size', cell: (e) => bytes(e.lfs?.size ?? e.size), numeric: true },
              { label: 'LFS', cell: (e) => (e.lfs ? 'yes' : '') },
            ]}
          />
        )}
      </Status>
    </section>
  );
}

interface CachedFile {
  commit: string;
  path: string;
  size: number;
  lfs: boolean;
  state: string;
}

interface Jobs {
  queues: Record<string, { waiting: number; active: number }>;
  finished: Record<string, { completed: number; failed: number }>;
}

export function RepoPage({ me, route }: { me: Me; route: string }) {
  const [, , type, ...rest] = route.split('/');
  const id = rest.map(decodeURIComponent).join('/');
  const path = repoPath(type, id);
  const files = useLoad(async () => {
    try {
      return await api.get<CachedFile[]>(`/admin/v1/cache/repos/${path}`);
    } catch (e) {
      if ((e as { status?: number }).status === 404) return [];
      throw e;
    }
  }, [path]);
  const info = useLoad(
    async () =>
      (await api.get<CatalogueItem[]>('/admin/v1/catalogue' + query({ type, search: id, limit: 50 }))).find(
        (r) => r.id === id,
      ) ?? null,
    [path],
  );
  const pins = useLoad(() => api.get<{ repoType: string; repoId: string }[]>('/admin/v1/cache/pins'), [path]);
  const [watching, setWatching] = useState(false);
  const jobs = useLoad(
    () => (me.permissions.maintain ? api.get<Jobs>('/admin/v1/sync/jobs') : Promise.resolve(null)),
    [],
    watching ? 1000 : undefined,
  );
  const [revision, setRevision] = useState('main');
  const [filePath, setFilePath] = useState('');
  const { run, status } = useAction();
  const pinned = (pins.data ?? []).some((p) => p.repoType === type && p.repoId === id);
  const busy = jobs.data ? Object.values(jobs.data.queues).reduce((n, q) => n + q.waiting + q.active, 0) : 0;
  // Live progress: while jobs run, the files list follows the queue (both polled every second).
  useEffect(() => {
    if (!watching) return;
    if (jobs.data && busy === 0) {
      setWatching(false);
      info.reload();
    }
    files.reload();
  }, [jobs.data]);
  const cachedBytes = (files.data ?? []).filter((f) => f.state !== 'absent').reduce((n, f) => n + f.size, 0);

  return (
    <Page title={`${type}/${id}`}>
      <p>
        <a href={BASE + '/repos'} onClick={(e) => onLinkClick(e, '/repos')}>
          ← All repos
        </a>
      </p>
      <Status state={info}>
        {(r) =>
          r ? (
            <dl class="stats">
              <div class="stat">
                <dt>Size</dt>
                <dd>{bytes(r.dingo.totalBytes)}</dd>
              </div>
              <div class="stat">
                <dt>Files</dt>
                <dd>{r.dingo.fileCount ?? '—'}</dd>
              </div>
              <div class="stat">
                <dt>Revisions</dt>
                <dd>
                  {r.dingo.revisions.map((v) => (/^[0-9a-f]{40}$/.test(v) ? v.slice(0, 10) : v)).join(', ') ||
                    '—'}
                </dd>
              </div>
              <div class="stat">
                <dt>Last access</dt>
                <dd>{when(r.dingo.lastAccess)}</dd>
              </div>
            </dl>
          ) : (
            <p>Not in the catalogue.</p>
          )
        }
      </Status>
      {me.permissions.maintain && (
        <section aria-labelledby="manage-h" class="card">
          <h2 id="manage-h">Manage</h2>
          <p>
            Pinned: <strong data-testid="pinned">{pinned ? 'yes' : 'no'}</strong>
          </p>
          <div class="buttons">
            <button
              type="button"
              onClick={() =>
                void run(
                  () =>
                    pinned
                      ? api.del(`/admin/v1/cache/pins/${path}`)
                      : api.put(`/admin/v1/cache/pins/${path}`),
                  pinned ? 'Unpinned.' : 'Pinned: never evicted.',
                ).then(pins.reload)
              }
            >
              {pinned ? 'Unpin' : 'Pin'}
            </button>
            <button
              type="button"
              class="danger"
              onClick={() => {
                if (!confirm(`Evict ${type}/${id} from the cache?`)) return;
                void run(async () => {
                  const r = await api.del<{ filesForgotten: number; blobsDeleted: number }>(
                    `/admin/v1/cache/repos/${path}`,
                  );
                  return r;
                }, 'Evicted from the cache.').then(() => {
                  files.reload();
                  info.reload();
                });
              }}
            >
              Evict
            </button>
          </div>
          <form
            class="inline"
            aria-label="Prefetch"
            onSubmit={(e) => {
              e.preventDefault();
              void run(
                () =>
                  api.post(`/admin/v1/sync/${path}`, { revision, ...(filePath ? { path: filePath } : {}) }),
                'Prefetch queued.',
              ).then((ok) => {
                if (ok) {
                  setWatching(true);
                  jobs.reload();
                }
              });
            }}
          >
            <Field label="Revision" id="pf-rev">
              <input id="pf-rev" value={revision} onInput={(e) => setRevision(value(e))} required />
            </Field>
            <Field label="File (empty: whole revision)" id="pf-path">
              <input id="pf-path" value={filePath} onInput={(e) => setFilePath(value(e))} />
            </Field>
            <button type="submit">Prefetch</button>
          </form>
          {status}
          {jobs.data && (
            <p role="status" aria-live="polite" data-testid="job-progress">
              {busy > 0
                ? `Pulling: ${busy} job(s) waiting or running; ${bytes(cachedBytes)} cached so far.`
                : `No pull jobs running. Completed: ${Object.values(jobs.data.finished).reduce((n, f) => n + f.completed, 0)}, failed: ${Object.values(jobs.data.finished).reduce((n, f) => n + f.failed, 0)}.`}
            </p>
          )}
        </section>
      )}
      <Revisions type={type} id={id} />
      <h2>Cached files</h2>
      <Status state={files}>
        {(fs) => (
          <Table
            caption="Files held by the mirror"
            rows={fs}
            rowKey={(f) => `${f.commit}:${f.path}`}
            empty="No cached files."
            columns={[
              { label: 'Path', cell: (f) => f.path },
              { label: 'Commit', cell: (f) => <code>{f.commit.slice(0, 10)}</code> },
              { label: 'Size', cell: (f) => bytes(f.size), numeric: true },
              { label: 'LFS', cell: (f) => (f.lfs ? 'yes' : '') },
              { label: 'State', cell: (f) => f.state },
            ]}
          />
        )}
      </Status>
    </Page>
  );
}
