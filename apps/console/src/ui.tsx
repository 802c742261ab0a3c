import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and when `deps` change; `reload()` loads again; `every` ms polls. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = [], every?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(messageOf(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  useEffect(() => {
    if (!every) return;
    const timer = setInterval(reload, every);
    return () => clearInterval(timer);
  }, [every, reload]);
  return { data, error, loading, reload };
}

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return `${e.status}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs an action, reporting failure in an alert and success in a status line. */
export function useAction(): {
  run: (what: () => Promise<unknown>, done?: string) => Promise<boolean>;
  status: ComponentChildren;
} {
  const [error, setError] = useState<string>();
  const [ok, setOk] = useState<string>();
  const run = async (what: () => Promise<unknown>, done?: string) => {
    setError(undefined);
    setOk(undefined);
    try {
      await what();
      if (done) setOk(done);
      return true;
    } catch (e) {
      setError(messageOf(e));
      return false;
    }
  };
  return {
    run,
    status: (
      <>
        {error && <ErrorBox message={error} />}
        {ok && (
          <p class="ok" role="status">
            {ok}
          </p>
        )}
      </>
    ),
  };
}

export function ErrorBox({ message }: { message: string }) {
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · DingoSpeed console`;
  }, [title]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}

export function Status<T>({
  state,
  children,
}: {
  state: Loaded<T>;
  children: (data: T) => ComponentChildren;
}) {
  if (state.error) return <ErrorBox message={state.error} />;
  if (state.data === undefined) return <p aria-busy="true">Loading…</p>;
  return <>{children(state.data)}</>;
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  numeric?: boolean;
}

export function Table<T>({
  caption,
  rows,
  columns,
  empty = 'Nothing yet.',
  rowKey,
}: {
  caption: string;
  rows: T[];
  columns: Column<T>[];
  empty?: string;
  rowKey?: (row: T, index: number) => string;
}) {
  if (!rows.length) return <p class="empty">{empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" class={c.numeric ? 'num' : undefined} key={c.label}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey ? rowKey(r, i) : i}>
              {columns.map((c) => (
                <td class={c.numeric ? 'num' : undefined} data-label={c.label} key={c.label}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A labelled input; the label's `for` ties it to the control. */
export function Field({
  label,
  id,
  children,
  hint,
}: {
  label: string;
  id: string;
  children: ComponentChildren;
  hint?: string;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export const value = (e: Event) => (e.currentTarget as HTMLInputElement).value;
export const checked = (e: Event) => (e.currentTarget as HTMLInputElement).checked;

export function Stat({
  label,
  value: v,
  testId,
}: {
  label: string;
  value: ComponentChildren;
  testId?: string;
}) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd data-testid={testId}>{v}</dd>
    </div>
  );
}
