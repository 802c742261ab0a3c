import { useState } from 'preact/hooks';
import { api, User } from '../api';
import { when } from '../format';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

export function UsersPage() {
  const users = useLoad(() => api.get<User[]>('/admin/v1/users'));
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const { run, status } = useAction();

  return (
    <Page title="Users">
      <form
        class="card"
        aria-labelledby="new-user"
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () =>
              api.post('/admin/v1/users', {
                username,
                ...(displayName ? { displayName } : {}),
                ...(password ? { password } : {}),
              }),
            `User ${username} created.`,
          ).then((ok) => {
            if (!ok) return;
            setUsername('');
            setDisplayName('');
            setPassword('');
            users.reload();
          });
        }}
      >
        <h2 id="new-user">New user</h2>
        <Field label="Username" id="u-name" hint="2-64 lowercase letters, digits, '.', '_', '-'">
          <input
            id="u-name"
            required
            pattern="[a-z0-9][a-z0-9._\-]{1,63}"
            aria-describedby="u-name-hint"
            value={username}
            onInput={(e) => setUsername(value(e))}
          />
        </Field>
        <Field label="Display name" id="u-display">
          <input id="u-display" value={displayName} onInput={(e) => setDisplayName(value(e))} />
        </Field>
        <Field label="Password (optional: token-only user)" id="u-pass" hint="at least 12 characters">
          <input
            id="u-pass"
            type="password"
            autocomplete="new-password"
            minLength={12}
            aria-describedby="u-pass-hint"
            value={password}
            onInput={(e) => setPassword(value(e))}
          />
        </Field>
        <button type="submit">Create user</button>
      </form>
      {status}
      <Status state={users}>
        {(rows) => (
          <Table
            caption="Users"
            rows={rows}
            rowKey={(u) => u.id}
            columns={[
              { label: 'Username', cell: (u) => u.username },
              { label: 'Display name', cell: (u) => u.displayName ?? '' },
              { label: 'Password', cell: (u) => (u.hasPassword ? 'set' : 'none') },
              { label: 'State', cell: (u) => (u.disabled ? 'disabled' : 'active') },
              { label: 'Created', cell: (u) => when(u.createdAt) },
              {
                label: 'Actions',
                cell: (u) => (
                  <div class="buttons">
                    <button
                      type="button"
                      aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.username}`}
                      onClick={() =>
                        void run(
                          () => api.patch(`/admin/v1/users/${u.id}`, { disabled: !u.disabled }),
                          `${u.username} ${u.disabled ? 'enabled' : 'disabled'}.`,
                        ).then(users.reload)
                      }
                    >
                      {u.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Delete ${u.username}`}
                      onClick={() =>
                        void (
                          confirm(`Delete user ${u.username}?`) &&
                          run(() => api.del(`/admin/v1/users/${u.id}`), `${u.username} deleted.`).then(
                            users.reload,
                          )
                        )
                      }
                    >
                      Delete
                    </button>
                  </div>
                ),
              },
            ]}
          />
        )}
      </Status>
    </Page>
  );
}
