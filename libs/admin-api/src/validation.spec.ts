import { HubError } from '@dingo/hub-protocol';
import { AuditQuery, CreateGrantBody, CreateTokenBody, CreateUserBody } from './schemas';
import { openApiSchema, parseInput } from './validation';

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    return `${(err as HubError).status} ${(err as HubError).message}`;
  }
  throw new Error('expected a 400');
};

describe('admin API input validation', () => {
  it('names the bad field in a 400', () => {
    expect(failure(() => parseInput(CreateUserBody, { username: 'Bad Name' }, 'body'))).toMatch(
      /^400 Invalid request body: username: must be 2-64/,
    );
    expect(failure(() => parseInput(CreateUserBody, { username: 'ok', password: 'short' }, 'body'))).toMatch(
      /password: must be at least 12/,
    );
    expect(failure(() => parseInput(CreateUserBody, { username: 'ok', role: 'admin' }, 'body'))).toMatch(
      /role: Unrecognized key/,
    );
    expect(failure(() => parseInput(CreateUserBody, undefined, 'body'))).toMatch(/body: /);
    expect(failure(() => parseInput(CreateTokenBody, { name: 'x', expiresInDays: 1.5 }, 'body'))).toMatch(
      /expiresInDays: must be a whole number/,
    );
    expect(failure(() => parseInput(CreateGrantBody, { role: 'reader', pattern: '*' }, 'body'))).toMatch(
      /teamId: give exactly one of teamId or userId/,
    );
    expect(
      failure(() => parseInput(CreateGrantBody, { userId: 'x', role: 'reader', pattern: '*' }, 'body')),
    ).toMatch(/userId: must be a UUID/);
    expect(failure(() => parseInput(AuditQuery, { limit: '0' }, 'query'))).toMatch(/limit/);
  });

  it('parses good input with defaults', () => {
    const grant = parseInput(
      CreateGrantBody,
      { teamId: '3f0c2a4e-8f5b-4c1d-9a6e-2b7d8c9e0f1a', role: 'reader', pattern: 'org/*' },
      'body',
    );
    expect(grant.repoType).toBe('*');
    expect(
      parseInput(AuditQuery, { from: '1700000000000', to: '2030-01-01T00:00:00Z', limit: '50' }, 'query'),
    ).toEqual({
      from: 1_700_000_000_000,
      to: Date.parse('2030-01-01T00:00:00Z'),
      limit: 50,
    });
  });

  it('documents request bodies as clients send them', () => {
    const schema = openApiSchema(CreateGrantBody);
    expect(schema.required).toEqual(['role', 'pattern']);
    expect(schema).not.toHaveProperty('$schema');
  });
});
