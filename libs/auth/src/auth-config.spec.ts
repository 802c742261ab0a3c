import { ConfigError, loadConfig } from '@dingo/config';

describe('auth config', () => {
  it('defaults to open reads and passthrough, so a plain HF_ENDPOINT works out of the box', () => {
    expect(loadConfig({}).auth).toEqual({
      anonymousRead: true,
      upstreamTokenMode: 'passthrough',
      jwtTtlSeconds: 3600,
      tokenDefaultTtlDays: 90,
      policyDefault: 'allow',
      adminUser: 'admin',
    });
  });

  it('reads the locked-down profile from the environment', () => {
    const auth = loadConfig({
      DINGO_ANONYMOUS_READ: 'false',
      DINGO_UPSTREAM_TOKEN_MODE: 'service',
      DINGO_UPSTREAM_SERVICE_TOKEN: 'hf_service',
      DINGO_POLICY_DEFAULT: 'deny',
      DINGO_JWT_SECRET: 'x'.repeat(32),
      DINGO_JWT_TTL_SECONDS: '900',
      DINGO_TOKEN_TTL_DAYS: '30',
      DINGO_ADMIN_USER: 'root',
      DINGO_ADMIN_PASSWORD: 'a-long-password',
    }).auth;
    expect(auth).toEqual({
      anonymousRead: false,
      upstreamTokenMode: 'service',
      upstreamServiceToken: 'hf_service',
      policyDefault: 'deny',
      jwtSecret: 'x'.repeat(32),
      jwtTtlSeconds: 900,
      tokenDefaultTtlDays: 30,
      adminUser: 'root',
      adminPassword: 'a-long-password',
    });
  });

  it('names the bad key', () => {
    expect(() => loadConfig({ DINGO_JWT_SECRET: 'short' })).toThrow(/auth\.jwtSecret/);
    expect(() => loadConfig({ DINGO_UPSTREAM_TOKEN_MODE: 'both' })).toThrow(/auth\.upstreamTokenMode/);
    expect(() => loadConfig({ DINGO_ADMIN_USER: 'Not Valid' })).toThrow(ConfigError);
  });
});
