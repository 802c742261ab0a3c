import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { bytes, csv, when } from '../format';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

interface AuditEvent {
  id: string;
  at: string;
  action: string;
  status: number;
  userId: string | null;
  username: string | null;
  tokenId: string | null;
  repoType: string | null;
  repoId: string | null;
  revision: string | null;
  path: string | null;
  bytes: number | null;
  clientIp: string | null;
  detail: unknown;
}

interface Filters {
  from: string;
  to: string;
  repo: string;
  action: string;
}

const COLUMNS = [
  'id',
  'at',
  'action',
  'status',
  'username',
  'userId',
  'tokenId',
  'repoType',
  'repoId',
  'revision',
  'path',
  'bytes',
  'clientIp',
  'detail',
];
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>({ from: '', to: '', repo: '', action: '' });
  const [filters, setFilters] = useState(draft);
  const [cursor, setCursor] = useState<string>();
  const params = (f: Filters) => ({ from: iso(f.from), to: iso(f.to), repo: f.repo, action: f.action });
  const events = useLoad(
    () =>
      api.get<{ items: AuditEvent[]; nextCursor: string | null }>(
        '/admin/v1/audit' + query({ ...params(filters), limit: 100, cursor }),
      ),
    [filters, cursor],
  );
  const { run, status } = useAction();
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: value(e) });

  const exportCsv = () =>
    run(async () => {
      const rows: AuditEvent[] = [];
      let next: string | null | undefined;
      do {
        const page = await api.get<{ items: AuditEvent[]; nextCursor: string | null }>(
          '/admin/v1/audit' + query({ ...params(filters), limit: 1000, cursor: next ?? undefined }),
        );
        rows.push(...page.items);
        next = page.nextCursor;
      } while (next && rows.length < 100_000);
      const blob = new Blob([csv(rows as unknown as Record<string, unknown>[], COLUMNS)], {
        type: 'text/csv',
      });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `dingospeed-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    }, 'CSV exported.');

  return (
    <Page title="Audit log">
      <form
        class="filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setCursor(undefined);
          setFilters(draft);
        }}
      >
        <Field label="From" id="a-from">
          <input id="a-from" type="datetime-local" value={draft.from} onInput={set('from')} />
        </Field>
        <Field label="To" id="a-to">
          <input id="a-to" type="datetime-local" value={draft.to} onInput={set('to')} />
        </Field>
        <Field label="Repo (id or namespace/*)" id="a-repo">
          <input id="a-repo" value={draft.repo} onInput={set('repo')} />
        </Field>
        <Field label="Action" id="a-action">
          <select id="a-action" value={draft.action} onChange={set('action')}>
            <option value="">any</option>
            {['download', 'upload', 'delete', 'manage', 'login', 'denied'].map((a) => (
              <option value={a} key={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">Filter</button>
        <button type="button" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </form>
      {status}
      <Status state={events}>
        {(page) => (
          <>
            <Table
              caption="Audit events, newest first"
              rows={page.items}
              rowKey={(e) => e.id}
              empty="No events match."
              columns={[
                { label: 'When', cell: (e) => when(e.at) },
                { label: 'Action', cell: (e) => e.action },
                { label: 'Status', cell: (e) => e.status, numeric: true },
                { label: 'User', cell: (e) => e.username ?? '—' },
                { label: 'Repo', cell: (e) => (e.repoId ? `${e.repoType}/${e.repoId}` : '—') },
                { label: 'Path', cell: (e) => e.path ?? '' },
                { label: 'Bytes', cell: (e) => (e.bytes === null ? '' : bytes(e.bytes)), numeric: true },
                { label: 'Client', cell: (e) => e.clientIp ?? '' },
              ]}
            />
            <p class="buttons">
              {cursor && (
                <button type="button" onClick={() => setCursor(undefined)}>
                  Newest
                </button>
              )}
              {page.nextCursor && (
                <button type="button" onClick={() => setCursor(page.nextCursor!)}>
                  Older
                </button>
              )}
            </p>
          </>
        )}
      </Status>
    </Page>
  );
}
