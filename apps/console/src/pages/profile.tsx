import { useState } from 'preact/hooks';
import { api, Me } from '../api';
import { Field, Page, Table, useAction, value } from '../ui';

export function ProfilePage({ me }: { me: Me }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const { run, status } = useAction();
  return (
    <Page title="Profile">
      <dl class="stats">
        <div class="stat">
          <dt>Username</dt>
          <dd data-testid="profile-username">{me.username}</dd>
        </div>
        <div class="stat">
          <dt>Display name</dt>
          <dd>{me.displayName ?? '—'}</dd>
        </div>
        <div class="stat">
          <dt>Signed in with</dt>
          <dd>{me.tokenId ? 'an access token' : 'a password'}</dd>
        </div>
      </dl>
      <Table
        caption="Your grants (directly and through your teams)"
        rows={me.grants}
        rowKey={(g) => g.id}
        empty="No grants."
        columns={[
          { label: 'Via', cell: (g) => (g.teamId ? 'team' : 'you') },
          { label: 'Role', cell: (g) => g.role },
          { label: 'Repo type', cell: (g) => g.repoType },
          { label: 'Pattern', cell: (g) => <code>{g.pattern}</code> },
        ]}
      />
      {!me.tokenId && (
        <form
          class="card"
          aria-labelledby="pw-h"
          onSubmit={(e) => {
            e.preventDefault();
            void run(
              () => api.post('/admin/v1/me/password', { currentPassword: current, newPassword: next }),
              'Password changed.',
            );
          }}
        >
          <h2 id="pw-h">Change password</h2>
          <Field label="Current password" id="pw-current">
            <input
              id="pw-current"
              type="password"
              autocomplete="current-password"
              required
              value={current}
              onInput={(e) => setCurrent(value(e))}
            />
          </Field>
          <Field label="New password" id="pw-new" hint="at least 12 characters">
            <input
              id="pw-new"
              type="password"
              autocomplete="new-password"
              minLength={12}
              required
              aria-describedby="pw-new-hint"
              value={next}
              onInput={(e) => setNext(value(e))}
            />
          </Field>
          <button type="submit">Change password</button>
        </form>
      )}
      {status}
    </Page>
  );
}
