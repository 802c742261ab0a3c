import { bearerOf, looksLikeJwt } from './credential-verifier';
import { hashPassword, verifyPassword } from './password-hasher';
import {
  generatePersonalToken,
  hashPersonalToken,
  isWellFormedPersonalToken,
  looksLikePersonalToken,
} from './personal-tokens';

describe('credentials', () => {
  it('hashes passwords with scrypt and verifies them', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$3\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('x', null)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('issues Hub-like tokens, stored only as sha256', () => {
    const token = generatePersonalToken();
    expect(token).toMatch(/^dgo_[A-Za-z0-9]{40}$/);
    expect(isWellFormedPersonalToken(token)).toBe(true);
    expect(generatePersonalToken()).not.toBe(token);
    expect(hashPersonalToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(looksLikePersonalToken('dgo_anything')).toBe(true);
    expect(isWellFormedPersonalToken('dgo_short')).toBe(false);
  });

  it('reads bearers, and mirror tokens sent as the password of Basic auth', () => {
    expect(bearerOf('Bearer abc')).toBe('abc');
    expect(bearerOf('bearer   abc ')).toBe('abc');
    expect(bearerOf('Basic ' + Buffer.from('git:dgo_x').toString('base64'))).toBe('dgo_x');
    expect(bearerOf('Basic ' + Buffer.from('user:pass').toString('base64'))).toBeUndefined();
    expect(bearerOf('Token abc')).toBeUndefined();
  });

  it('recognizes JWTs (never forwarded upstream) by shape and header', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(looksLikeJwt(`${header}.e30.`)).toBe(true);
    expect(looksLikeJwt('hf_abcdef')).toBe(false);
    expect(looksLikeJwt('aa.bb.cc')).toBe(false);
  });
});
