import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { DingoConfig, StartupError } from '@dingo/config';

export const JWT_ISSUER = 'dingospeed';
export const JWT_AUDIENCE = 'dingospeed-admin';

/**
 * The HS256 key for admin sessions: `auth.jwtSecret`, or (single node) a random key kept in
 * `<dataDir>/jwt-secret` with mode 0600 so sessions survive a restart.
 */
export function resolveJwtSecret(config: DingoConfig): string {
  if (config.auth.jwtSecret) return config.auth.jwtSecret;
  // Every gateway must verify every other's sessions: none may make up its own key.
  if (config.mode === 'distributed')
    throw new StartupError(
      'DINGO_JWT_SECRET is required in distributed mode (the same 32+ random characters on every gateway), e.g. `openssl rand -hex 32`',
    );
  const file = join(config.dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    // Another process on this dataDir wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  return secret;
}

/** Signs admin session JWTs (the claims passport-jwt checks on the way in). */
export class SessionTokens {
  private readonly jwt: JwtService;

  constructor(
    readonly secret: string,
    readonly ttlSeconds: number,
  ) {
    this.jwt = new JwtService({
      secret,
      signOptions: { algorithm: 'HS256', expiresIn: ttlSeconds, issuer: JWT_ISSUER, audience: JWT_AUDIENCE },
    });
  }

  sign(userId: string, username: string): string {
    return this.jwt.sign({ sub: userId, name: username });
  }
}
