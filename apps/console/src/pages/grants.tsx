import { useState } from 'preact/hooks';
import { api, Grant, Role, Team, User } from '../api';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

const ACTIONS = ['read', 'list', 'upload', 'delete'];

export function GrantsPage() {
  const grants = useLoad(() => api.get<Grant[]>('/admin/v1/grants'));
  const roles = useLoad(() => api.get<Role[]>('/admin/v1/roles'));
  const teams = useLoad(() => api.get<Team[]>('/admin/v1/teams'));
  const users = useLoad(() => api.get<User[]>('/admin/v1/users'));
  const [subject, setSubject] = useState('');
  const [role, setRole] = useState('');
  const [repoType, setRepoType] = useState('*');
  const [pattern, setPattern] = useState('');
  const [roleName, setRoleName] = useState('');
  const [roleActions, setRoleActions] = useState<string[]>(['read', 'list']);
  const { run, status } = useAction();
  const teamName = new Map((teams.data ?? []).map((t) => [t.id, t.name]));
  const userName = new Map((users.data ?? []).map((u) => [u.id, u.username]));

  return (
    <Page title="Grants & roles">
      <form
        class="card"
        aria-labelledby="new-grant"
        onSubmit={(e) => {
          e.preventDefault();
          const [kind, id] = subject.split(':');
          void run(
            () =>
              api.post('/admin/v1/grants', {
                [kind === 'team' ? 'teamId' : 'userId']: id,
                role,
                repoType,
                pattern,
              }),
            'Grant created.',
          ).then(grants.reload);
        }}
      >
        <h2 id="new-grant">New grant</h2>
        <Field label="To" id="g-subject">
          <select id="g-subject" required value={subject} onChange={(e) => setSubject(value(e))}>
            <option value="">choose…</option>
            <optgroup label="Teams">
              {(teams.data ?? []).map((t) => (
                <option value={`team:${t.id}`} key={t.id}>
                  team {t.name}
                </option>
              ))}
            </optgroup>
            <optgroup label="Users">
              {(users.data ?? []).map((u) => (
                <option value={`user:${u.id}`} key={u.id}>
                  user {u.username}
                </option>
              ))}
            </optgroup>
          </select>
        </Field>
        <Field label="Role" id="g-role">
          <select id="g-role" required value={role} onChange={(e) => setRole(value(e))}>
            <option value="">choose…</option>
            {(roles.data ?? []).map((r) => (
              <option value={r.name} key={r.name}>
                {r.name} ({r.actions.join(', ')})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Repo type" id="g-type">
          <select id="g-type" value={repoType} onChange={(e) => setRepoType(value(e))}>
            <option value="*">any</option>
            <option value="model">model</option>
            <option value="dataset">dataset</option>
            <option value="space">space</option>
          </select>
        </Field>
        <Field label="Repo pattern" id="g-pattern" hint="e.g. org/* or org/model">
          <input
            id="g-pattern"
            required
            aria-describedby="g-pattern-hint"
            value={pattern}
            onInput={(e) => setPattern(value(e))}
          />
        </Field>
        <button type="submit">Create grant</button>
      </form>
      {status}
      <Status state={grants}>
        {(rows) => (
          <Table
            caption="Grants"
            rows={rows}
            rowKey={(g) => g.id}
            columns={[
              {
                label: 'To',
                cell: (g) =>
                  g.teamId
                    ? `team ${teamName.get(g.teamId) ?? g.teamId}`
                    : `user ${userName.get(g.userId ?? '') ?? g.userId}`,
              },
              { label: 'Role', cell: (g) => g.role },
              { label: 'Repo type', cell: (g) => g.repoType },
              { label: 'Pattern', cell: (g) => <code>{g.pattern}</code> },
              {
                label: 'Actions',
                cell: (g) => (
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Delete grant ${g.role} on ${g.pattern}`}
                    onClick={() =>
                      void run(() => api.del(`/admin/v1/grants/${g.id}`), 'Grant deleted.').then(
                        grants.reload,
                      )
                    }
                  >
                    Delete
                  </button>
                ),
              },
            ]}
          />
        )}
      </Status>
      <h2>Roles</h2>
      <form
        class="card"
        aria-labelledby="new-role"
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () => api.post('/admin/v1/roles', { name: roleName, actions: roleActions }),
            `Role ${roleName} created.`,
          ).then(roles.reload);
        }}
      >
        <h3 id="new-role">New role</h3>
        <Field label="Role name" id="r-name">
          <input id="r-name" required value={roleName} onInput={(e) => setRoleName(value(e))} />
        </Field>
        <fieldset>
          <legend>Actions</legend>
          {ACTIONS.map((a) => (
            <span class="checkbox" key={a}>
              <input
                id={`r-${a}`}
                type="checkbox"
                checked={roleActions.includes(a)}
                onChange={(e) =>
                  setRoleActions(
                    (e.currentTarget as HTMLInputElement).checked
                      ? [...roleActions, a]
                      : roleActions.filter((x) => x !== a),
                  )
                }
              />
              <label for={`r-${a}`}>{a}</label>
            </span>
          ))}
        </fieldset>
        <button type="submit">Create role</button>
      </form>
      <Status state={roles}>
        {(rows) => (
          <Table
            caption="Roles"
            rows={rows}
            rowKey={(r) => r.name}
            columns={[
              { label: 'Name', cell: (r) => r.name },
              { label: 'Actions', cell: (r) => r.actions.join(', ') },
              { label: 'Description', cell: (r) => r.description ?? '' },
            ]}
          />
        )}
      </Status>
    </Page>
  );
}
