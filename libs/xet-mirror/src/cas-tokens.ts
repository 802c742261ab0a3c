import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { RepoType } from '@dingo/hub-protocol';

/** What a mirror CAS token grants: reads of one repo's Xet files, with the caller's upstream credentials. */
export interface CasTokenClaims {
  type: RepoType;
  id: string;
  rev: string;
  /** What the mirror presents upstream for this caller (their HF token, or the service token), if anything. */
  up?: string;
  /** Unix seconds. */
  exp: number;
}

const PREFIX = 'dxt_';

/**
 * The mirror's own CAS tokens: the claims sealed with AES-256-GCM under a server secret, so they
 * cannot be forged or read (they carry the caller's upstream credentials), and any gateway with
 * the same secret can check them without shared state. Xorb URLs are HMAC-signed with a key
 * derived from the same secret.
 */
export class CasTokens {
  private readonly sealKey: Buffer;
  private readonly urlKey: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.sealKey = createHash('sha256').update(`dingo-xet-token\0${secret}`).digest();
    this.urlKey = createHash('sha256').update(`dingo-xet-url\0${secret}`).digest();
  }

  issue(claims: Omit<CasTokenClaims, 'exp'>, now = Date.now()): { token: string; exp: number } {
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ ...claims, exp })), cipher.final()]);
    const token = PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    return { token, exp };
  }

  /** The claims of a genuine, unexpired token; undefined otherwise. */
  open(token: string | undefined, now = Date.now()): CasTokenClaims | undefined {
    if (!token?.startsWith(PREFIX)) return undefined;
    const raw = Buffer.from(token.slice(PREFIX.length), 'base64url');
    if (raw.length < 12 + 16 + 2) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const json = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      const claims = JSON.parse(json.toString('utf8')) as CasTokenClaims;
      return claims.exp * 1000 > now ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  /** The bearer token of an `Authorization` header. */
  fromAuthorization(header: string | undefined): CasTokenClaims | undefined {
    return this.open(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1]);
  }

  sign(message: string): string {
    return createHmac('sha256', this.urlKey).update(message).digest('base64url');
  }

  verifySignature(message: string, signature: string): boolean {
    const want = Buffer.from(this.sign(message));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
