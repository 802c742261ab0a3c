import { useState } from 'preact/hooks';
import { api, Me, query, Token, User } from '../api';
import { when } from '../format';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

export function TokensPage({ me }: { me: Me }) {
  const tokens = useLoad(() => api.get<Token[]>('/admin/v1/tokens' + query({ includeRevoked: 'true' })));
  const users = useLoad(() =>
    me.permissions.admin ? api.get<User[]>('/admin/v1/users') : Promise.resolve([] as User[]),
  );
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [userId, setUserId] = useState('');
  const [created, setCreated] = useState<{ token: string; name: string }>();
  const { run, status } = useAction();
  const userName = new Map((users.data ?? []).map((u) => [u.id, u.username]));

  return (
    <Page title="Tokens">
      <form
        class="card"
        aria-labelledby="new-token"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(undefined);
          void run(async () => {
            const r = await api.post<{ token: string; name: string }>('/admin/v1/tokens', {
              name,
              ...(userId ? { userId } : {}),
              ...(days ? { expiresInDays: Number(days) } : {}),
            });
            setCreated(r);
            setName('');
            tokens.reload();
          });
        }}
      >
        <h2 id="new-token">New access token</h2>
        <Field label="Token name" id="tk-name">
          <input id="tk-name" required value={name} onInput={(e) => setName(value(e))} />
        </Field>
        {me.permissions.admin && (
          <Field label="For user" id="tk-user">
            <select id="tk-user" value={userId} onChange={(e) => setUserId(value(e))}>
              <option value="">me ({me.username})</option>
              {(users.data ?? [])
                .filter((u) => u.id !== me.id)
                .map((u) => (
                  <option value={u.id} key={u.id}>
                    {u.username}
                  </option>
                ))}
            </select>
          </Field>
        )}
        <Field label="Expires in (days, empty: the mirror's default)" id="tk-days">
          <input
            id="tk-days"
            type="number"
            min={1}
            max={3650}
            inputMode="numeric"
            value={days}
            onInput={(e) => setDays(value(e))}
          />
        </Field>
        <button type="submit">Create token</button>
      </form>
      {status}
      {created && (
        <div class="card secret" role="alert">
          <p>
            Token <strong>{created.name}</strong> created. Copy it now: it is shown only once.
          </p>
          <label for="new-token-value">New token</label>
          <input
            id="new-token-value"
            readOnly
            value={created.token}
            data-testid="new-token"
            onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          />
          <button type="button" onClick={() => void navigator.clipboard?.writeText(created.token)}>
            Copy
          </button>
        </div>
      )}
      <Status state={tokens}>
        {(rows) => (
          <Table
            caption="Access tokens"
            rows={rows}
            rowKey={(t) => t.id}
            columns={[
              { label: 'Name', cell: (t) => t.name },
              ...(me.permissions.admin
                ? [
                    {
                      label: 'User',
                      cell: (t: Token) =>
                        userName.get(t.userId) ?? (t.userId === me.id ? me.username : t.userId),
                    },
                  ]
                : []),
              { label: 'Prefix', cell: (t) => <code>{t.prefix}…</code> },
              { label: 'Status', cell: (t) => t.status },
              { label: 'Expires', cell: (t) => when(t.expiresAt) },
              { label: 'Last used', cell: (t) => when(t.lastUsedAt) },
              {
                label: 'Actions',
                cell: (t) =>
                  t.status === 'active' && (
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Revoke ${t.name}`}
                      onClick={() =>
                        void (
                          confirm(`Revoke token ${t.name}?`) &&
                          run(() => api.del(`/admin/v1/tokens/${t.id}`), 'Token revoked.').then(tokens.reload)
                        )
                      }
                    >
                      Revoke
                    </button>
                  ),
              },
            ]}
          />
        )}
      </Status>
    </Page>
  );
}
