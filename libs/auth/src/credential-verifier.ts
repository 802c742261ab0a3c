import type { Request, Response } from 'express';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { HubError } from '@dingo/hub-protocol';
import { UserPrincipal } from './access-model';
import { AccessDirectory, UserAccess } from './access-directory';
import { hashPersonalToken, isWellFormedPersonalToken, looksLikePersonalToken } from './personal-tokens';
import { JWT_AUDIENCE, JWT_ISSUER } from './session-tokens';

/** What the Authorization header turned out to be. */
export type Credential =
  | { kind: 'none' }
  /** Not a mirror credential: in passthrough mode, the caller's own upstream (HF) token. */
  | { kind: 'foreign'; authorization: string }
  | { kind: 'user'; principal: UserPrincipal; access: UserAccess; via: 'token' | 'session' };

const JWT_SHAPE = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;
const MAX_BEARER = 4096;
const LAST_USED_RESOLUTION_MS = 60_000;

export const invalidCredentials = (why: string) => HubError.unauthorized(`Invalid credentials: ${why}`);

/**
 * Turns the Authorization header into a caller. Personal access tokens (`dgo_…`, also accepted as
 * the password of Basic auth, as git sends it) are looked up by their sha256; admin session JWTs
 * are checked by passport-jwt (HS256 only: `alg: none` and other algorithms are refused). A bad
 * mirror credential is a 401, never an anonymous request and never forwarded upstream.
 */
export class CredentialVerifier {
  private readonly jwtStrategy: JwtStrategy;

  constructor(
    private readonly directory: AccessDirectory,
    jwtSecret: string,
  ) {
    this.jwtStrategy = new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: jwtSecret,
        algorithms: ['HS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      },
      // jsonwebtoken checks `exp` only when present: a session token without an expiry (or an issue
      // time) was not made by this mirror and is refused.
      (payload: { exp?: unknown; iat?: unknown }, done: (err: null, user: unknown) => void) =>
        done(null, typeof payload.exp === 'number' && typeof payload.iat === 'number' ? payload : false),
    );
  }

  async authenticate(req: Request, res: Response): Promise<Credential> {
    const header = req.headers.authorization;
    if (!header) return { kind: 'none' };
    const bearer = bearerOf(header);
    if (bearer === undefined) return { kind: 'foreign', authorization: header };
    if (bearer.length > MAX_BEARER) throw invalidCredentials('token too long');
    if (looksLikePersonalToken(bearer)) return this.personalToken(bearer);
    if (looksLikeJwt(bearer)) return this.session(req, res);
    return { kind: 'foreign', authorization: header };
  }

  private async personalToken(token: string): Promise<Credential> {
    if (!isWellFormedPersonalToken(token)) throw invalidCredentials('malformed token');
    const record = await this.directory.tokenByHash(hashPersonalToken(token));
    const now = Date.now();
    if (!record) throw invalidCredentials('unknown token');
    if (record.revokedAt !== null) throw invalidCredentials('token revoked');
    if (record.expiresAt !== null && record.expiresAt <= now) throw invalidCredentials('token expired');
    const access = await this.directory.accessOf(record.userId);
    if (!access) throw invalidCredentials('user disabled or deleted');
    if (record.lastUsedAt === null || now - record.lastUsedAt > LAST_USED_RESOLUTION_MS) {
      void this.directory.markTokenUsed(record, now).catch(() => undefined);
    }
    const principal: UserPrincipal = { ...access.principal, tokenId: record.id };
    return { kind: 'user', principal, access, via: 'token' };
  }

  private async session(req: Request, res: Response): Promise<Credential> {
    const payload = await new Promise<Record<string, unknown> | false>((resolve, reject) =>
      passport.authenticate(this.jwtStrategy, { session: false }, (err, user) =>
        err ? reject(err) : resolve(user as Record<string, unknown> | false),
      )(req, res, (err) => (err ? reject(err) : resolve(false))),
    ).catch(() => false as const);
    if (!payload || typeof payload.sub !== 'string')
      throw invalidCredentials('session token invalid or expired');
    const access = await this.directory.accessOf(payload.sub);
    if (!access) throw invalidCredentials('user disabled or deleted');
    return { kind: 'user', principal: access.principal, access, via: 'session' };
  }
}

/** `Bearer x` -> x; `Basic base64(user:dgo_…)` -> the token; anything else -> undefined. */
export function bearerOf(header: string): string | undefined {
  const m = /^(\w+)\s+(.+)$/.exec(header.trim());
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme === 'bearer') return m[2].trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2].trim(), 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return looksLikePersonalToken(password) ? password : undefined;
  }
  return undefined;
}

/** Three base64url parts whose header names an algorithm: treated as ours, never forwarded. */
export function looksLikeJwt(bearer: string): boolean {
  if (!JWT_SHAPE.test(bearer)) return false;
  try {
    const header = JSON.parse(Buffer.from(bearer.split('.')[0], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}
