import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, credential, Me, setCredential } from './api';
import './style.css';
import { BASE, navigate, onLinkClick, useRoute } from './router';
import { ErrorBox, Field, messageOf, value } from './ui';
import { AuditPage } from './pages/audit';
import { DashboardPage } from './pages/dashboard';
import { GrantsPage } from './pages/grants';
import { PoliciesPage } from './pages/policies';
import { ProfilePage } from './pages/profile';
import { RepoPage, ReposPage } from './pages/repos';
import { SyncPage } from './pages/sync';
import { TeamsPage } from './pages/teams';
import { TokensPage } from './pages/tokens';
import { UsersPage } from './pages/users';

interface NavItem {
  to: string;
  label: string;
  show: (me: Me) => boolean;
}

const everyone = () => true;
const admin = (me: Me) => me.permissions.admin;

export const NAV: NavItem[] = [
  { to: '/', label: 'Dashboard', show: (me) => me.permissions.readAudit },
  { to: '/repos', label: 'Repos', show: everyone },
  { to: '/users', label: 'Users', show: admin },
  { to: '/teams', label: 'Teams', show: admin },
  { to: '/grants', label: 'Grants & roles', show: admin },
  { to: '/tokens', label: 'Tokens', show: everyone },
  { to: '/policies', label: 'Policies', show: (me) => me.permissions.readPolicies },
  { to: '/audit', label: 'Audit log', show: (me) => me.permissions.readAudit },
  { to: '/sync', label: 'Sync jobs', show: (me) => me.permissions.maintain },
  { to: '/profile', label: 'Profile', show: everyone },
];

function Login({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const signIn = async (cred: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    try {
      setCredential(await cred());
      onSignedIn(await api.get<Me>('/admin/v1/me'));
    } catch (e) {
      setCredential(null);
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>DingoSpeed console</h1>
      {error && <ErrorBox message={error} />}
      <form
        aria-labelledby="login-password"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn(async () => {
            const r = await api.post<{ accessToken: string }>('/admin/v1/auth/login', { username, password });
            return r.accessToken;
          });
        }}
      >
        <h2 id="login-password">Sign in with a password</h2>
        <Field label="Username" id="login-username">
          <input
            id="login-username"
            name="username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => setUsername(value(e))}
          />
        </Field>
        <Field label="Password" id="login-secret">
          <input
            id="login-secret"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(value(e))}
          />
        </Field>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <form
        aria-labelledby="login-token"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn(async () => token.trim());
        }}
      >
        <h2 id="login-token">…or with an access token</h2>
        <Field label="Access token (dgo_…)" id="login-dgo">
          <input
            id="login-dgo"
            name="token"
            type="password"
            autocomplete="off"
            required
            pattern="dgo_.+"
            value={token}
            onInput={(e) => setToken(value(e))}
          />
        </Field>
        <button type="submit" disabled={busy}>
          Sign in with token
        </button>
      </form>
    </main>
  );
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const actual = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const items = NAV.filter((n) => n.show(me));
  const home = items[0].to;
  // A reader's `/` is their first page (no dashboard for them).
  const route = actual === '/' && !items.some((n) => n.to === '/') ? home : actual;
  const top = '/' + (route.split('/')[1] ?? '');
  const allowed = items.find((n) => n.to === top);

  useEffect(() => {
    setMenuOpen(false);
    document.getElementById('page-title')?.focus();
  }, [route]);

  let page;
  if (!allowed) page = <NotAllowed home={home} />;
  else if (top === '/') page = <DashboardPage />;
  else if (top === '/repos')
    page = route.split('/').length > 3 ? <RepoPage me={me} route={route} /> : <ReposPage />;
  else if (top === '/users') page = <UsersPage />;
  else if (top === '/teams') page = <TeamsPage />;
  else if (top === '/grants') page = <GrantsPage />;
  else if (top === '/tokens') page = <TokensPage me={me} />;
  else if (top === '/policies') page = <PoliciesPage me={me} />;
  else if (top === '/audit') page = <AuditPage />;
  else if (top === '/sync') page = <SyncPage />;
  else page = <ProfilePage me={me} />;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={BASE + home} onClick={(e) => onLinkClick(e, home)}>
          DingoSpeed
        </a>
        <button
          type="button"
          class="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <span class="who" data-testid="signed-in-as">
          {me.username}
          {me.permissions.admin ? ' (admin)' : ''}
        </span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav id="nav" aria-label="Console" class={menuOpen ? 'open' : undefined}>
          <ul>
            {items.map((n) => (
              <li key={n.to}>
                <a
                  href={BASE + n.to}
                  aria-current={n.to === top ? 'page' : undefined}
                  onClick={(e) => onLinkClick(e, n.to)}
                >
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main">{page}</main>
      </div>
    </>
  );
}

function NotAllowed({ home }: { home: string }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Not available
      </h1>
      <p>This page does not exist or your account may not use it.</p>
      <p>
        <a href={BASE + home} onClick={(e) => onLinkClick(e, home)}>
          Back
        </a>
      </p>
    </section>
  );
}

function App() {
  const [me, setMe] = useState<Me | null>();
  useEffect(() => {
    if (!credential()) return setMe(null);
    api.get<Me>('/admin/v1/me').then(setMe, () => {
      setCredential(null);
      setMe(null);
    });
  }, []);
  if (me === undefined) return <p aria-busy="true">Loading…</p>;
  if (me === null) return <Login onSignedIn={setMe} />;
  return (
    <Shell
      me={me}
      onSignOut={() => {
        setCredential(null);
        setMe(null);
        navigate('/');
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
