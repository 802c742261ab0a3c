import { useState } from 'preact/hooks';
import { api, Team, User } from '../api';
import { when } from '../format';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

interface Member {
  userId: string;
  username: string | null;
  teamAdmin: boolean;
  since: string;
}

export function TeamsPage() {
  const teams = useLoad(() => api.get<(Team & { memberCount?: number })[]>('/admin/v1/teams'));
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [selected, setSelected] = useState<Team>();
  const { run, status } = useAction();

  return (
    <Page title="Teams">
      <form
        class="card"
        aria-labelledby="new-team"
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () => api.post('/admin/v1/teams', { name, ...(description ? { description } : {}) }),
            `Team ${name} created.`,
          ).then((ok) => {
            if (!ok) return;
            setName('');
            setDescription('');
            teams.reload();
          });
        }}
      >
        <h2 id="new-team">New team</h2>
        <Field label="Team name" id="t-name">
          <input id="t-name" required value={name} onInput={(e) => setName(value(e))} />
        </Field>
        <Field label="Description" id="t-desc">
          <input id="t-desc" value={description} onInput={(e) => setDescription(value(e))} />
        </Field>
        <button type="submit">Create team</button>
      </form>
      {status}
      <Status state={teams}>
        {(rows) => (
          <Table
            caption="Teams"
            rows={rows}
            rowKey={(t) => t.id}
            columns={[
              { label: 'Name', cell: (t) => t.name },
              { label: 'Description', cell: (t) => t.description ?? '' },
              { label: 'Created', cell: (t) => when(t.createdAt) },
              {
                label: 'Actions',
                cell: (t) => (
                  <div class="buttons">
                    <button type="button" aria-label={`Members of ${t.name}`} onClick={() => setSelected(t)}>
                      Members
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Delete team ${t.name}`}
                      onClick={() =>
                        void (
                          confirm(`Delete team ${t.name}?`) &&
                          run(() => api.del(`/admin/v1/teams/${t.id}`), `Team ${t.name} deleted.`).then(
                            () => {
                              if (selected?.id === t.id) setSelected(undefined);
                              teams.reload();
                            },
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
      {selected && <Members team={selected} key={selected.id} />}
    </Page>
  );
}

function Members({ team }: { team: Team }) {
  const members = useLoad(() => api.get<Member[]>(`/admin/v1/teams/${team.id}/members`));
  const users = useLoad(() => api.get<User[]>('/admin/v1/users'));
  const [userId, setUserId] = useState('');
  const [teamAdmin, setTeamAdmin] = useState(false);
  const { run, status } = useAction();
  return (
    <section class="card" aria-labelledby="members-h">
      <h2 id="members-h">Members of {team.name}</h2>
      <form
        class="inline"
        aria-label={`Add a member to ${team.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () => api.put(`/admin/v1/teams/${team.id}/members/${userId}`, { teamAdmin }),
            'Member added.',
          ).then(members.reload);
        }}
      >
        <Field label="User" id="m-user">
          <select id="m-user" required value={userId} onChange={(e) => setUserId(value(e))}>
            <option value="">choose…</option>
            {(users.data ?? []).map((u) => (
              <option value={u.id} key={u.id}>
                {u.username}
              </option>
            ))}
          </select>
        </Field>
        <div class="field checkbox">
          <input
            id="m-admin"
            type="checkbox"
            checked={teamAdmin}
            onChange={(e) => setTeamAdmin((e.currentTarget as HTMLInputElement).checked)}
          />
          <label for="m-admin">Team admin</label>
        </div>
        <button type="submit">Add member</button>
      </form>
      {status}
      <Status state={members}>
        {(rows) => (
          <Table
            caption={`Members of ${team.name}`}
            rows={rows}
            rowKey={(m) => m.userId}
            empty="No members yet."
            columns={[
              { label: 'User', cell: (m) => m.username ?? m.userId },
              { label: 'Team admin', cell: (m) => (m.teamAdmin ? 'yes' : 'no') },
              { label: 'Since', cell: (m) => when(m.since) },
              {
                label: 'Actions',
                cell: (m) => (
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Remove ${m.username ?? m.userId}`}
                    onClick={() =>
                      void run(
                        () => api.del(`/admin/v1/teams/${team.id}/members/${m.userId}`),
                        'Member removed.',
                      ).then(members.reload)
                    }
                  >
                    Remove
                  </button>
                ),
              },
            ]}
          />
        )}
      </Status>
    </section>
  );
}
