import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { ADMIN_PASSWORD, AccessWorld, rawRequest, startAccessWorld } from '../access/fixtures';

/**
 * The web console in a real Chromium (Debian's, driven by playwright-core) against a real embedded
 * gateway in front of the Hub simulator: an admin builds a team, a user, a grant and a token in the
 * browser; that token downloads through the mirror and the dashboard counts it; a reader sees only
 * their own pages; pin, unpin, evict and prefetch change what the admin API reports.
 */
const ROOT = resolve(__dirname, '../..');
// Screenshots of each page go to tmp/ (untracked); DINGO_CONSOLE_SCREENSHOTS=e2e/console/screenshots
// refreshes the committed set.
const SHOTS = resolve(ROOT, process.env.DINGO_CONSOLE_SCREENSHOTS ?? 'tmp/console-screenshots');
const CHROMIUM = process.env.DINGO_CHROMIUM ?? '/usr/bin/chromium';
jest.setTimeout(120_000);

describe('web console', () => {
  let w: AccessWorld;
  let browser: Browser;
  let adminCtx: BrowserContext;
  let admin: Page;
  let adminToken: string;
  let aliceToken = '';
  const foreign: string[] = [];

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });
  const go = async (page: Page, label: string) => {
    await nav(page).getByRole('link', { name: label, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: label }).waitFor();
  };
  const watch = (ctx: BrowserContext) =>
    ctx.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(w.url) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
    });
  const newContext = async (viewport = { width: 1280, height: 900 }) => {
    const ctx = await browser.newContext({ viewport, acceptDownloads: true });
    watch(ctx);
    return ctx;
  };

  beforeAll(async () => {
    // What `npm start` runs: bundles the console into dist/console when its sources changed.
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.js')], { cwd: ROOT, stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    w = await startAccessWorld({ anonymousRead: false }, { localNamespaces: ['acme'] });
    const root = await w.user('console-root');
    await w.admin('POST', '/admin/v1/grants', { userId: root.id, role: 'admin', pattern: '*' });
    adminToken = root.token;
    // Repos in the catalogue: one the reader will be granted, one they will not.
    for (const repo of ['allowed/m', 'other/m'])
      expect((await w.call('GET', `/${repo}/resolve/main/config.json`, { token: adminToken })).status).toBe(
        200,
      );
    // A private repo hosted on the mirror, with one file.
    const made = await w.call('POST', '/api/repos/create', {
      token: adminToken,
      body: { name: 'internal', organization: 'acme', private: true },
    });
    expect(made.status).toBe(200);
    const commit = await fetch(`${w.url}/api/models/acme/internal/commit/main`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/x-ndjson' },
      body: [
        { key: 'header', value: { summary: 'first' } },
        {
          key: 'file',
          value: {
            path: 'README.md',
            content: Buffer.from('# internal\n').toString('base64'),
            encoding: 'base64',
          },
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    });
    expect(commit.status).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    adminCtx = await newContext();
    admin = await adminCtx.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('is served at /console without credentials: SPA fallback, content types, cache headers', async () => {
    const index = await fetch(`${w.url}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(w.url + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // Client-side routes answer the app; a missing asset is a 404, not the page.
    const deep = await fetch(`${w.url}/console/repos/model/allowed/m`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    expect((await fetch(`${w.url}/console/assets/missing.js`)).status).toBe(404);
    // Paths that climb out of the bundle find nothing (raw requests: fetch would normalise them).
    for (const path of [
      '/console/../package.json',
      '/console/%2e%2e/%2e%2e/package.json',
      '/console/..%2f..%2fpackage.json',
      '/console/assets/..%2f..%2f..%2fpackage.json',
    ]) {
      const res = await rawRequest(w.url, path);
      expect([path, res.status, String(res.headers['content-type'])]).not.toEqual([
        path,
        200,
        'application/json',
      ]);
      expect(res.status === 404 || String(res.headers['content-type']).startsWith('text/html')).toBe(true);
    }
    // The API behind it still wants credentials.
    expect((await fetch(`${w.url}/admin/v1/users`)).status).toBe(401);
    // What the console added to the admin API is documented with it.
    const doc = await w.call('GET', '/admin/v1/docs/openapi.json');
    expect(
      doc.body.paths['/admin/v1/dashboard'].get.responses['200'].content['application/json'].schema,
    ).toEqual(expect.objectContaining({ type: 'object' }));
    expect(doc.body.paths['/admin/v1/policies/check'].get.parameters.map((p: any) => p.name).sort()).toEqual([
      'repo',
      'type',
    ]);
    expect(doc.body.paths['/admin/v1/sync/jobs'].get.summary).toMatch(/waiting and running/);
  });

  it('an admin signs in and creates a team, a user, a membership, a grant and a token', async () => {
    await admin.goto(`${w.url}/console/`);
    await admin.getByRole('heading', { name: 'DingoSpeed console' }).waitFor();
    await shot(admin, '01-sign-in');
    await admin.getByLabel('Username').fill('admin');
    await admin.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    expect(await admin.getByTestId('signed-in-as').textContent()).toBe('admin (admin)');

    await go(admin, 'Teams');
    await admin.getByLabel('Team name').fill('ml-team');
    await admin.getByLabel('Description').fill('Model builders');
    await admin.getByRole('button', { name: 'Create team' }).click();
    await admin.getByText('Team ml-team created.').waitFor();

    await go(admin, 'Users');
    await admin.getByLabel('Username').fill('alice');
    await admin.getByLabel('Display name').fill('Alice Reader');
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.getByText('User alice created.').waitFor();
    await admin.getByRole('cell', { name: 'Alice Reader' }).waitFor();
    await shot(admin, '03-users');

    await go(admin, 'Teams');
    await admin.getByRole('button', { name: 'Members of ml-team' }).click();
    await admin.getByLabel('User').selectOption({ label: 'alice' });
    await admin.getByRole('button', { name: 'Add member' }).click();
    await admin.getByText('Member added.').waitFor();
    await admin.getByRole('cell', { name: 'alice', exact: true }).waitFor();
    await shot(admin, '04-teams');

    await go(admin, 'Grants & roles');
    await admin.getByLabel('To').selectOption({ label: 'team ml-team' });
    await admin.getByLabel('Role', { exact: true }).selectOption('reader');
    await admin.getByLabel('Repo pattern').fill('allowed/*');
    await admin.getByRole('button', { name: 'Create grant' }).click();
    await admin.getByText('Grant created.').waitFor();
    await shot(admin, '05-grants');

    await go(admin, 'Tokens');
    await admin.getByLabel('Token name').fill('alice laptop');
    await admin.getByLabel('For user').selectOption({ label: 'alice' });
    await admin.getByRole('button', { name: 'Create token' }).click();
    const shown = admin.getByTestId('new-token');
    await shown.waitFor();
    aliceToken = await shown.inputValue();
    expect(aliceToken).toMatch(/^dgo_/);
    await shot(admin, '06-token-created');

    // What the browser did is what the API now holds.
    const team = (await w.admin('GET', '/admin/v1/teams')).find((t: any) => t.name === 'ml-team');
    const alice = (await w.admin('GET', '/admin/v1/users')).find((u: any) => u.username === 'alice');
    expect(alice.displayName).toBe('Alice Reader');
    expect(await w.admin('GET', `/admin/v1/teams/${team.id}/members`)).toEqual([
      expect.objectContaining({ userId: alice.id, username: 'alice', teamAdmin: false }),
    ]);
    expect(await w.admin('GET', `/admin/v1/grants?teamId=${team.id}`)).toEqual([
      expect.objectContaining({ role: 'reader', pattern: 'allowed/*' }),
    ]);
    // Shown once: the listing has only its prefix.
    const listed = await w.admin('GET', `/admin/v1/tokens?userId=${alice.id}`);
    expect(listed).toEqual([expect.objectContaining({ name: 'alice laptop', status: 'active' })]);
    expect(JSON.stringify(listed)).not.toContain(aliceToken);
    await admin.reload();
    await admin.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    expect(await admin.getByTestId('new-token').count()).toBe(0);
  });

  it("the user's token downloads through the mirror and the dashboard counts it", async () => {
    await go(admin, 'Dashboard');
    const before = Number(await admin.getByTestId('file-requests').textContent());
    const file = '/allowed/m/resolve/main/model.safetensors';
    for (let i = 0; i < 2; i++) {
      const res = await fetch(w.url + file, { headers: { authorization: `Bearer ${aliceToken}` } });
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(200_000);
    }
    // Outside the grant: refused, and the refusal is a recent error.
    const refused = await fetch(`${w.url}/other/m/resolve/main/config.json`, {
      headers: { authorization: `Bearer ${aliceToken}` },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await refused.arrayBuffer();

    await admin.getByRole('button', { name: 'Refresh' }).click();
    await admin.waitForFunction(
      (n) =>
        Number((globalThis as any).document.querySelector('[data-testid="file-requests"]')?.textContent) >= n,
      before + 2,
    );
    const api = await w.admin('GET', '/admin/v1/dashboard');
    expect(api.files.requests).toBeGreaterThanOrEqual(before + 2);
    expect(api.files.byCache.hit).toBeGreaterThanOrEqual(1);
    expect(api.servedBytes.cache + api.servedBytes.upstream).toBeGreaterThanOrEqual(400_000);
    expect(api.upstream.origins[0]).toEqual(expect.objectContaining({ origin: w.sim.url, up: true }));
    expect(await admin.getByTestId('hit-rate').textContent()).toMatch(/^\d+\.\d %$/);
    expect(await admin.getByTestId('bytes-cache').textContent()).not.toBe('0 B');
    await admin
      .getByRole('table', { name: /Largest cached repos/ })
      .getByRole('cell', { name: 'model/allowed/m', exact: true })
      .waitFor();
    await admin
      .getByRole('table', { name: /Recent refused/ })
      .getByRole('cell', { name: 'model/other/m' })
      .first()
      .waitFor();
    await shot(admin, '02-dashboard');
  });

  it('a reader signs in with their token and sees only their profile, tokens and readable repos', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    const apiCalls: string[] = [];
    page.on('request', (r) => r.url().includes('/admin/v1/') && apiCalls.push(new URL(r.url()).pathname));
    await page.goto(`${w.url}/console/`);
    // Keyboard only: focus the token field, type, Enter.
    await page.getByLabel('Access token (dgo_…)').focus();
    await page.keyboard.type(aliceToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Repos' }).waitFor();
    const links = await nav(page).getByRole('link').allTextContents();
    expect(links).toEqual(['Repos', 'Tokens', 'Profile']);
    await page.getByRole('cell', { name: 'allowed/m', exact: true }).waitFor();
    await page.getByText('No hosted repos match.').waitFor();
    expect(await page.getByRole('cell', { name: 'other/m', exact: true }).count()).toBe(0);
    expect(await page.getByRole('cell', { name: 'acme/internal', exact: true }).count()).toBe(0);
    // No maintenance controls on a repo they may only read.
    await page.getByRole('link', { name: 'allowed/m', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'model/allowed/m' }).waitFor();
    await page
      .getByRole('table', { name: 'Files held by the mirror' })
      .getByRole('cell', { name: 'model.safetensors' })
      .waitFor();
    await page
      .getByRole('table', { name: 'Files at main' })
      .getByRole('cell', { name: 'config.json' })
      .waitFor();
    expect(await page.getByRole('button', { name: 'Evict' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Pin' }).count()).toBe(0);
    await shot(page, '10-reader-repo');

    for (const path of ['/', '/users', '/teams', '/grants', '/policies', '/audit', '/sync']) {
      await page.goto(`${w.url}/console${path}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      const title = await page.getByRole('heading', { level: 1 }).first().textContent();
      expect(path === '/' ? title : [path, title]).toEqual(path === '/' ? 'Repos' : [path, 'Not available']);
      // The repos page renders its search form at once and its results once they are fetched.
      const expected = path === '/' ? 2 : 0;
      const blocks = page.locator('main table, main form');
      for (let waited = 0; (await blocks.count()) < expected && waited < 10_000; waited += 100)
        await page.waitForTimeout(100);
      expect(await blocks.count()).toBe(expected);
    }
    await shot(page, '11-reader-not-available');
    // The console never asked for what the reader may not see.
    expect(
      apiCalls.filter((p) => /\/admin\/v1\/(users|teams|grants|policies|audit|dashboard|sync)/.test(p)),
    ).toEqual([]);

    await page.goto(`${w.url}/console/tokens`);
    await page.getByRole('cell', { name: 'alice laptop', exact: true }).waitFor();
    await page.goto(`${w.url}/console/profile`);
    expect(await page.getByTestId('profile-username').textContent()).toBe('alice');
    await page.getByRole('cell', { name: 'allowed/*' }).waitFor();
    await shot(page, '12-reader-profile');

    // Phone width: the nav folds behind a Menu button that the keyboard can open.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${w.url}/console/repos`);
    await page.getByRole('heading', { level: 1, name: 'Repos' }).waitFor();
    expect(await nav(page).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).focus();
    await page.keyboard.press('Enter');
    expect(await nav(page).isVisible()).toBe(true);
    expect(
      await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number),
    ).toBeLessThanOrEqual(390);
    await shot(page, '13-reader-phone');
    await ctx.close();
  });

  it('pins, unpins, evicts and prefetches a repo, and the admin API agrees', async () => {
    await go(admin, 'Repos');
    await admin.getByRole('searchbox', { name: 'Search' }).fill('allowed/m');
    await admin.getByRole('button', { name: 'Search', exact: true }).click();
    await admin.getByRole('link', { name: 'allowed/m', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'model/allowed/m' }).waitFor();
    const cached = admin.getByRole('table', { name: 'Files held by the mirror' });
    await cached.getByRole('cell', { name: 'model.safetensors' }).waitFor();
    const pinned = admin.getByTestId('pinned');
    await admin.getByRole('button', { name: 'Pin', exact: true }).click();
    await admin.getByText('Pinned: never evicted.').waitFor();
    await pinned.filter({ hasText: 'yes' }).waitFor();
    expect(await w.admin('GET', '/admin/v1/cache/pins')).toEqual([
      expect.objectContaining({ repoType: 'model', repoId: 'allowed/m' }),
    ]);
    await shot(admin, '07-repo-pinned');
    await admin.getByRole('button', { name: 'Unpin' }).click();
    await admin.getByText('Unpinned.').waitFor();
    await pinned.filter({ hasText: 'no' }).waitFor();
    expect(await w.admin('GET', '/admin/v1/cache/pins')).toEqual([]);

    admin.once('dialog', (d) => void d.accept());
    await admin.getByRole('button', { name: 'Evict' }).click();
    await admin.getByText('Evicted from the cache.').waitFor();
    await admin.getByText('No cached files.').waitFor();
    expect(
      (await w.call('GET', '/admin/v1/cache/repos/models/allowed/m', { token: adminToken })).status,
    ).toBe(404);

    // Prefetch the whole revision back; the page follows the job until the files are in.
    await admin.getByRole('button', { name: 'Prefetch' }).click();
    await admin.getByText('Prefetch queued.').waitFor();
    await cached.getByRole('cell', { name: 'model.safetensors' }).waitFor({ timeout: 60_000 });
    await admin
      .getByTestId('job-progress')
      .filter({ hasText: 'No pull jobs running' })
      .waitFor({ timeout: 60_000 });
    const files = await w.admin('GET', '/admin/v1/cache/repos/models/allowed/m');
    expect(files.map((f: any) => f.path).sort()).toEqual(['config.json', 'model.safetensors']);
    await shot(admin, '08-repo-prefetched');
  });

  it('lists hosted repos with their revisions and files', async () => {
    await go(admin, 'Repos');
    const hosted = admin.getByRole('table', { name: 'Repos hosted on this mirror' });
    await hosted.getByRole('cell', { name: 'private' }).waitFor();
    await hosted.getByRole('link', { name: 'acme/internal' }).click();
    await admin.getByRole('heading', { level: 1, name: 'model/acme/internal' }).waitFor();
    await admin
      .getByRole('table', { name: 'Files at main' })
      .getByRole('cell', { name: 'README.md' })
      .waitFor();
    expect(await admin.getByRole('combobox', { name: 'Revision' }).textContent()).toMatch(
      /^branch main \([0-9a-f]{10}\)$/,
    );
    await shot(admin, '18-hosted-repo');
  });

  it('policies dry run, audit filters and CSV export, sync jobs, and no request leaves the mirror', async () => {
    await go(admin, 'Policies');
    await admin.getByLabel('Effect').selectOption('deny');
    await admin.getByLabel('Pattern').fill('other/*');
    await admin.getByLabel('Reason').fill('not approved');
    await admin.getByRole('button', { name: 'Create rule' }).click();
    await admin.getByText('Rule created.').waitFor();
    await admin.getByLabel('Repo id').fill('other/m');
    await admin.getByRole('button', { name: 'Check' }).click();
    expect(await admin.getByTestId('verdict').textContent()).toContain(
      'would be denied by the rule deny other/*',
    );
    await admin.getByLabel('Repo id').fill('allowed/m');
    await admin.getByRole('button', { name: 'Check' }).click();
    await admin
      .getByTestId('verdict')
      .filter({ hasText: 'model/allowed/m would be allowed by the default' })
      .waitFor();
    expect(await w.admin('GET', '/admin/v1/policies/check?type=model&repo=other/m')).toMatchObject({
      allowed: false,
      decidedBy: 'rule',
    });
    await shot(admin, '09-policies');

    await go(admin, 'Audit log');
    await admin.getByLabel('Action').selectOption('download');
    await admin.getByLabel('Repo (id or namespace/*)').fill('allowed/m');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.getByRole('cell', { name: 'alice' }).first().waitFor();
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'id,at,action,status,username,userId,tokenId,repoType,repoId,revision,path,bytes,clientIp,detail',
    );
    const rows = csv.slice(1).filter(Boolean);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => r.includes(',download,') && r.includes(',allowed/m,'))).toBe(true);
    expect(rows.some((r) => r.includes(',alice,'))).toBe(true);
    await shot(admin, '14-audit');

    await go(admin, 'Sync jobs');
    await admin.getByRole('cell', { name: 'pull-repo-snapshot' }).waitFor();
    await shot(admin, '15-sync-jobs');
    await go(admin, 'Profile');
    await shot(admin, '16-admin-profile');

    const phone = await (await newContext({ width: 390, height: 844 })).newPage();
    await phone.goto(`${w.url}/console/`);
    await phone.getByLabel('Access token (dgo_…)').fill(adminToken);
    await phone.getByRole('button', { name: 'Sign in with token' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await phone.getByTestId('file-requests').waitFor();
    expect(
      await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number),
    ).toBeLessThanOrEqual(390);
    await shot(phone, '17-dashboard-phone');

    expect(foreign).toEqual([]);
  });
});
