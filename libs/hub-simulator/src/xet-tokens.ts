import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SimRepoType } from './types';

export interface XetTokenGrant {
  type: SimRepoType;
  id: string;
  /** Unix seconds. */
  exp: number;
}

/**
 * Issues and checks the short-lived CAS access tokens handed out by `xet-read-token`: bound to
 * one repo, expiring after `ttlSeconds`.
 */
export class XetTokenIssuer {
  private readonly grants = new Map<string, XetTokenGrant>();

  constructor(private ttlSeconds: number) {}

  /** Tests shorten it to make clients refresh. */
  setTtl(seconds: number): void {
    this.ttlSeconds = seconds;
  }

  issue(type: SimRepoType, id: string): { token: string; exp: number } {
    const token = `xet_${randomBytes(24).toString('base64url')}`;
    const exp = Math.floor(Date.now() / 1000) + this.ttlSeconds;
    this.grants.set(token, { type, id, exp });
    return { token, exp };
  }

  /** The grant of a valid bearer token; undefined when missing, unknown or expired. */
  check(authorization: string | undefined): XetTokenGrant | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const grant = token ? this.grants.get(token) : undefined;
    if (!grant || grant.exp * 1000 <= Date.now()) return undefined;
    return grant;
  }
}

/**
 * Signs xorb transfer URLs like presigned object-store URLs: the path, the exact byte range the
 * client must ask for, and an expiry. Independent of the CAS token.
 */
export class XorbUrlSigner {
  private readonly secret = randomBytes(32);

  constructor(private readonly ttlSeconds: number) {}

  sign(origin: string, xorb: string, range: { start: number; end: number }): string {
    const path = `/xorbs/default/${xorb}`;
    const signedRange = `bytes=${range.start}-${range.end}`;
    const expires = String(Math.floor(Date.now() / 1000) + this.ttlSeconds);
    const params = new URLSearchParams({ 'X-Xet-Signed-Range': signedRange, Expires: expires });
    params.set('Signature', this.signature(path, signedRange, expires));
    return `${origin}${path}?${params}`;
  }

  /** 'ok' only for an unexpired signature over this path, whose signed range is the Range sent. */
  verify(path: string, params: URLSearchParams, rangeHeader: string | undefined): 'ok' | 'expired' | 'bad' {
    const signedRange = params.get('X-Xet-Signed-Range') ?? '';
    const expires = params.get('Expires') ?? '';
    const given = Buffer.from(params.get('Signature') ?? '');
    const wanted = Buffer.from(this.signature(path, signedRange, expires));
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return 'bad';
    if ((rangeHeader ?? '').trim() !== signedRange) return 'bad';
    return Number(expires) * 1000 <= Date.now() ? 'expired' : 'ok';
  }

  private signature(path: string, range: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`${path}\n${range}\n${expires}`).digest('base64url');
  }
}
