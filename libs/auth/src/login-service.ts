import { growingLru } from '@dingo/concurrency';
import { DataSource, Repository } from 'typeorm';
import { HubError } from '@dingo/hub-protocol';
import { AuditLog } from './audit-log';
import { UserEntity } from './entities';
import { verifyPassword } from './password-hasher';
import { SessionTokens } from './session-tokens';

/** Per (username, address): guessing one account. Per address: spraying many (higher, so a shared NAT is not locked out by one user). */
const MAX_FAILURES = { pair: 10, address: 100 };
const FAILURE_WINDOW_MS = 15 * 60_000;

export interface Session {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: { id: string; username: string };
}

/**
 * Admin login: username + password -> a short-lived HS256 session JWT. Failures are audited and
 * throttled per (username, client address) and per address; the answer never says which part was wrong.
 */
export class LoginService {
  private readonly users: Repository<UserEntity>;
  private readonly failures = growingLru<string, number>(100_000, { ttl: FAILURE_WINDOW_MS });

  constructor(
    ds: DataSource,
    private readonly sessions: SessionTokens,
    private readonly audit: AuditLog,
  ) {
    this.users = ds.getRepository(UserEntity);
  }

  async login(username: string, password: string, clientIp: string): Promise<Session> {
    const pair = `${username.toLowerCase()}|${clientIp}`;
    const address = `ip|${clientIp}`;
    if (
      (this.failures.get(pair) ?? 0) >= MAX_FAILURES.pair ||
      (this.failures.get(address) ?? 0) >= MAX_FAILURES.address
    ) {
      this.audit.write({
        action: 'login',
        status: 429,
        clientIp,
        detail: { username: username.slice(0, 64), reason: 'throttled' },
      });
      throw HubError.tooManyRequests('Too many failed logins; try again later');
    }
    const user = await this.users.findOneBy({ username: username.toLowerCase() });
    const passwordOk = await verifyPassword(password, user?.passwordHash);
    if (!user || !passwordOk || user.disabled) {
      for (const k of [pair, address]) this.failures.set(k, (this.failures.get(k) ?? 0) + 1);
      this.audit.write({
        action: 'login',
        status: 401,
        userId: user?.id,
        clientIp,
        detail: { username: username.slice(0, 64) },
      });
      throw HubError.unauthorized('Invalid username or password');
    }
    this.failures.delete(pair);
    this.audit.write({ action: 'login', status: 200, userId: user.id, clientIp });
    return {
      accessToken: this.sessions.sign(user.id, user.username),
      tokenType: 'Bearer',
      expiresIn: this.sessions.ttlSeconds,
      user: { id: user.id, username: user.username },
    };
  }
}
