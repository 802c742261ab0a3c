import { useState } from 'preact/hooks';
import { api, repoPath } from '../api';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

interface Jobs {
  queues: Record<string, { waiting: number; active: number }>;
  finished: Record<string, { completed: number; failed: number }>;
}

export function SyncPage() {
  const jobs = useLoad(() => api.get<Jobs>('/admin/v1/sync/jobs'), [], 2000);
  const [type, setType] = useState('model');
  const [repo, setRepo] = useState('');
  const [revision, setRevision] = useState('main');
  const [path, setPath] = useState('');
  const { run, status } = useAction();
  return (
    <Page title="Sync jobs">
      <form
        class="card"
        aria-labelledby="queue-h"
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () => api.post(`/admin/v1/sync/${repoPath(type, repo)}`, { revision, ...(path ? { path } : {}) }),
            `Queued ${type}/${repo}@${revision}${path ? `:${path}` : ''}.`,
          ).then(jobs.reload);
        }}
      >
        <h2 id="queue-h">Prefetch into the cache</h2>
        <Field label="Repo type" id="s-type">
          <select id="s-type" value={type} onChange={(e) => setType(value(e))}>
            <option value="model">model</option>
            <option value="dataset">dataset</option>
            <option value="space">space</option>
          </select>
        </Field>
        <Field label="Repo id" id="s-repo">
          <input
            id="s-repo"
            required
            placeholder="namespace/name"
            value={repo}
            onInput={(e) => setRepo(value(e))}
          />
        </Field>
        <Field label="Revision" id="s-rev">
          <input id="s-rev" required value={revision} onInput={(e) => setRevision(value(e))} />
        </Field>
        <Field label="File (empty: whole revision)" id="s-path">
          <input id="s-path" value={path} onInput={(e) => setPath(value(e))} />
        </Field>
        <button type="submit">Queue</button>
      </form>
      {status}
      <Status state={jobs}>
        {(j) => (
          <Table
            caption="Pull queues (refreshed every 2 s)"
            rows={Object.keys(j.queues)}
            rowKey={(q) => q}
            columns={[
              { label: 'Queue', cell: (q) => q },
              { label: 'Waiting', cell: (q) => j.queues[q].waiting, numeric: true },
              { label: 'Running', cell: (q) => j.queues[q].active, numeric: true },
              { label: 'Completed', cell: (q) => j.finished[q]?.completed ?? 0, numeric: true },
              { label: 'Failed', cell: (q) => j.finished[q]?.failed ?? 0, numeric: true },
            ]}
          />
        )}
      </Status>
    </Page>
  );
}
