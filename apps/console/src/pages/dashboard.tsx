import { api } from '../api';
import { bytes, percent, when } from '../format';
import { Page, Stat, Status, Table, useLoad } from '../ui';

interface Dashboard {
  files: { requests: number; byCache: Record<string, number>; hitRate: number | null };
  servedBytes: { cache: number; upstream: number };
  upstream: {
    offline: boolean;
    origins: { origin: string; up: boolean; latencyMs: number; errors: number }[];
    upstreamBytes: number;
  };
  storage: {
    tiers: { tier: string; bytes: number; chunks: number }[];
    storedBytes: number;
    quotaBytes: number;
    minFreeBytes: number;
    disk: { freeBytes: number; sizeBytes: number } | null;
  };
  queues: Record<string, { waiting: number; active: number }>;
  topRepos: {
    type: string;
    id: string;
    files: number;
    logicalBytes: number;
    storedBytes: number;
    pinned: boolean;
  }[];
  recentErrors: {
    id: string;
    at: string;
    action: string;
    status: number;
    username: string | null;
    repoType: string | null;
    repoId: string | null;
    path: string | null;
  }[];
}

export function DashboardPage() {
  const state = useLoad(() => api.get<Dashboard>('/admin/v1/dashboard'), [], 5000);
  return (
    <Page title="Dashboard">
      <p class="toolbar">
        <button type="button" onClick={state.reload}>
          Refresh
        </button>
        <span class="hint">Refreshes every 5 s.</span>
      </p>
      <Status state={state}>
        {(d) => (
          <>
            <h2>Traffic</h2>
            <dl class="stats">
              <Stat label="Cache hit rate" value={percent(d.files.hitRate)} testId="hit-rate" />
              <Stat label="File requests" value={d.files.requests} testId="file-requests" />
              <Stat label="Served from cache" value={bytes(d.servedBytes.cache)} testId="bytes-cache" />
              <Stat
                label="Served from upstream"
                value={bytes(d.servedBytes.upstream)}
                testId="bytes-upstream"
              />
              <Stat label="Pulled from upstream" value={bytes(d.upstream.upstreamBytes)} />
            </dl>
            <Table
              caption="File requests by cache outcome"
              rows={Object.entries(d.files.byCache)}
              empty="No file downloads yet."
              columns={[
                { label: 'Outcome', cell: ([k]) => k },
                { label: 'Requests', cell: ([, v]) => v, numeric: true },
              ]}
            />
            <h2>Upstream</h2>
            <p>
              {d.upstream.offline ? <strong class="bad">Offline: serving from cache only</strong> : 'Online'}
            </p>
            <Table
              caption="Upstream origins"
              rows={d.upstream.origins}
              columns={[
                { label: 'Origin', cell: (o) => o.origin },
                {
                  label: 'State',
                  cell: (o) => <span class={o.up ? 'good' : 'bad'}>{o.up ? 'up' : 'down'}</span>,
                },
                { label: 'Latency', cell: (o) => `${o.latencyMs} ms`, numeric: true },
                { label: 'Errors', cell: (o) => o.errors, numeric: true },
              ]}
            />
            <h2>Storage</h2>
            <dl class="stats">
              <Stat label="Stored" value={bytes(d.storage.storedBytes)} testId="stored-bytes" />
              <Stat label="Quota" value={d.storage.quotaBytes ? bytes(d.storage.quotaBytes) : 'none'} />
              {d.storage.quotaBytes > 0 && (
                <Stat label="Quota used" value={percent(d.storage.storedBytes / d.storage.quotaBytes)} />
              )}
              {d.storage.disk && <Stat label="Disk free" value={bytes(d.storage.disk.freeBytes)} />}
              {d.storage.disk && <Stat label="Disk size" value={bytes(d.storage.disk.sizeBytes)} />}
            </dl>
            {d.storage.quotaBytes > 0 && (
              <meter
                aria-label="Quota used"
                min={0}
                max={d.storage.quotaBytes}
                value={d.storage.storedBytes}
                high={d.storage.quotaBytes * 0.9}
              />
            )}
            <Table
              caption="Bytes per tier"
              rows={d.storage.tiers}
              columns={[
                { label: 'Tier', cell: (t) => t.tier },
                { label: 'Bytes', cell: (t) => bytes(t.bytes), numeric: true },
                { label: 'Chunks', cell: (t) => t.chunks, numeric: true },
              ]}
            />
            <Table
              caption="Pull queues"
              rows={Object.entries(d.queues)}
              columns={[
                { label: 'Queue', cell: ([q]) => q },
                { label: 'Waiting', cell: ([, v]) => v.waiting, numeric: true },
                { label: 'Running', cell: ([, v]) => v.active, numeric: true },
              ]}
            />
            <h2>Top repos</h2>
            <Table
              caption="Largest cached repos"
              rows={d.topRepos}
              empty="Nothing cached yet."
              columns={[
                { label: 'Repo', cell: (r) => `${r.type}/${r.id}` },
                { label: 'Files', cell: (r) => r.files, numeric: true },
                { label: 'Stored', cell: (r) => bytes(r.storedBytes), numeric: true },
                { label: 'Pinned', cell: (r) => (r.pinned ? 'yes' : '') },
              ]}
            />
            <h2>Recent errors</h2>
            <Table
              caption="Recent refused or failed requests (audit log)"
              rows={d.recentErrors}
              empty="No errors recorded."
              columns={[
                { label: 'When', cell: (e) => when(e.at) },
                { label: 'Action', cell: (e) => e.action },
                { label: 'Status', cell: (e) => e.status, numeric: true },
                { label: 'User', cell: (e) => e.username ?? '—' },
                { label: 'Repo', cell: (e) => (e.repoId ? `${e.repoType}/${e.repoId}` : '—') },
                { label: 'Path', cell: (e) => e.path ?? '' },
              ]}
            />
          </>
        )}
      </Status>
    </Page>
  );
}
