import { AccessWorld, startAccessWorld } from './fixtures';

/** The catalogue lists only what the caller's grants let it read (anonymousRead=false). */
describe('catalogue listings under access control', () => {
  let w: AccessWorld;
  let reader: string;
  let admin: string;

  beforeAll(async () => {
    w = await startAccessWorld({ anonymousRead: false });
    const user = await w.user('catalogue-reader');
    await w.team('catalogue-readers', [user], [{ role: 'reader', pattern: 'allowed/*' }]);
    reader = user.token;
    const root = await w.user('catalogue-admin');
    await w.admin('POST', '/admin/v1/grants', { userId: root.id, role: 'admin', pattern: '*' });
    admin = root.token;
    // The admin's downloads put three repos in the catalogue.
    for (const repo of ['allowed/m', 'allowed/m2', 'other/m'])
      expect((await w.call('GET', `/${repo}/resolve/main/config.json`, { token: admin })).status).toBe(200);
  });
  afterAll(() => w.close());

  const ids = (body: Array<{ id: string }>) => body.map((i) => i.id);

  it('answers the Hub listing locally with the repos within the caller grants', async () => {
    const asAdmin = await w.call('GET', '/api/models?local=true', { token: admin });
    expect(ids(asAdmin.body)).toEqual(['allowed/m', 'allowed/m2', 'other/m']);
    const asReader = await w.call('GET', '/api/models?local=true', { token: reader });
    expect(asReader.status).toBe(200);
    expect(asReader.headers.get('x-dingo-cache')).toBe('LOCAL');
    expect(ids(asReader.body)).toEqual(['allowed/m', 'allowed/m2']);
    expect((await w.call('GET', '/api/models?local=true')).status).toBe(401);
  });

  it('filters the admin search by the caller grants too', async () => {
    const asReader = await w.call('GET', '/admin/v1/catalogue?search=m', { token: reader });
    expect(asReader.status).toBe(200);
    expect(ids(asReader.body)).toEqual(['allowed/m', 'allowed/m2']);
    expect(asReader.headers.get('x-total-count')).toBe('2');
    const asAdmin = await w.call('GET', '/admin/v1/catalogue?search=m', { token: admin });
    expect(ids(asAdmin.body)).toEqual(['allowed/m', 'allowed/m2', 'other/m']);
    const bad = await w.call('GET', '/admin/v1/catalogue?sort=stars', { token: reader });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-error-message')).toMatch(/^Invalid request query: sort:/);
  });
});
