import { useState } from 'preact/hooks';
import { api, Me, query } from '../api';
import { when } from '../format';
import { Field, Page, Status, Table, useAction, useLoad, value } from '../ui';

interface Rule {
  id: string;
  effect: 'allow' | 'deny';
  repoType: string;
  pattern: string;
  reason: string | null;
  createdAt: string;
}

interface Verdict {
  type: string;
  repo: string;
  allowed: boolean;
  decidedBy: 'rule' | 'default';
  rule: Rule | null;
}

export function PoliciesPage({ me }: { me: Me }) {
  const policies = useLoad(() =>
    api.get<{ default: string; evaluation: string; rules: Rule[] }>('/admin/v1/policies'),
  );
  const [effect, setEffect] = useState('deny');
  const [repoType, setRepoType] = useState('*');
  const [pattern, setPattern] = useState('');
  const [reason, setReason] = useState('');
  const [checkType, setCheckType] = useState('model');
  const [checkRepo, setCheckRepo] = useState('');
  const [verdict, setVerdict] = useState<Verdict>();
  const { run, status } = useAction();

  return (
    <Page title="Policies">
      <Status state={policies}>
        {(p) => (
          <>
            <p>
              Default: <strong>{p.default}</strong>. {p.evaluation}.
            </p>
            <Table
              caption="Upstream repo rules"
              rows={p.rules}
              rowKey={(r) => r.id}
              empty="No rules: the default decides."
              columns={[
                {
                  label: 'Effect',
                  cell: (r) => <span class={r.effect === 'deny' ? 'bad' : 'good'}>{r.effect}</span>,
                },
                { label: 'Repo type', cell: (r) => r.repoType },
                { label: 'Pattern', cell: (r) => <code>{r.pattern}</code> },
                { label: 'Reason', cell: (r) => r.reason ?? '' },
                { label: 'Created', cell: (r) => when(r.createdAt) },
                ...(me.permissions.admin
                  ? [
                      {
                        label: 'Actions',
                        cell: (r: Rule) => (
                          <button
                            type="button"
                            class="danger"
                            aria-label={`Delete rule ${r.effect} ${r.pattern}`}
                            onClick={() =>
                              void run(() => api.del(`/admin/v1/policies/${r.id}`), 'Rule deleted.').then(
                                policies.reload,
                              )
                            }
                          >
                            Delete
                          </button>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          </>
        )}
      </Status>
      <form
        class="card"
        aria-labelledby="dry-run"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () =>
            setVerdict(
              await api.get<Verdict>(
                '/admin/v1/policies/check' + query({ type: checkType, repo: checkRepo }),
              ),
            ),
          );
        }}
      >
        <h2 id="dry-run">Would this repo be allowed?</h2>
        <Field label="Repo type" id="c-type">
          <select id="c-type" value={checkType} onChange={(e) => setCheckType(value(e))}>
            <option value="model">model</option>
            <option value="dataset">dataset</option>
            <option value="space">space</option>
          </select>
        </Field>
        <Field label="Repo id" id="c-repo">
          <input
            id="c-repo"
            required
            placeholder="namespace/name"
            value={checkRepo}
            onInput={(e) => setCheckRepo(value(e))}
          />
        </Field>
        <button type="submit">Check</button>
        {verdict && (
          <p role="status" data-testid="verdict" class={verdict.allowed ? 'good' : 'bad'}>
            {verdict.type}/{verdict.repo} would be <strong>{verdict.allowed ? 'allowed' : 'denied'}</strong>
            {verdict.rule
              ? ` by the rule ${verdict.rule.effect} ${verdict.rule.pattern}${verdict.rule.reason ? ` (${verdict.rule.reason})` : ''}`
              : ' by the default'}
            .
          </p>
        )}
      </form>
      {me.permissions.admin && (
        <form
          class="card"
          aria-labelledby="new-rule"
          onSubmit={(e) => {
            e.preventDefault();
            void run(
              () =>
                api.post('/admin/v1/policies', { effect, repoType, pattern, ...(reason ? { reason } : {}) }),
              'Rule created.',
            ).then(policies.reload);
          }}
        >
          <h2 id="new-rule">New rule</h2>
          <Field label="Effect" id="p-effect">
            <select id="p-effect" value={effect} onChange={(e) => setEffect(value(e))}>
              <option value="deny">deny</option>
              <option value="allow">allow</option>
            </select>
          </Field>
          <Field label="Repo type" id="p-type">
            <select id="p-type" value={repoType} onChange={(e) => setRepoType(value(e))}>
              <option value="*">any</option>
              <option value="model">model</option>
              <option value="dataset">dataset</option>
              <option value="space">space</option>
            </select>
          </Field>
          <Field label="Pattern" id="p-pattern">
            <input id="p-pattern" required value={pattern} onInput={(e) => setPattern(value(e))} />
          </Field>
          <Field label="Reason" id="p-reason">
            <input id="p-reason" value={reason} onInput={(e) => setReason(value(e))} />
          </Field>
          <button type="submit">Create rule</button>
        </form>
      )}
      {status}
    </Page>
  );
}
