import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fixed key-pair id, as CloudFront signed URLs carry one. */
const KEY_PAIR_ID = 'KSIMULATOR0001';

/**
 * Signs CDN URLs the way the Hub hands out CloudFront URLs: independent of the client's token,
 * valid until `Expires`.
 */
export class CdnUrlSigner {
  private readonly secret = randomBytes(32);

  constructor(private readonly ttlSeconds: number) {}

  static objectPath(sha256: string): string {
    return `/repos/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  }

  sign(cdnOrigin: string, sha256: string, disposition: string): string {
    const path = CdnUrlSigner.objectPath(sha256);
    const expires = String(Math.floor(Date.now() / 1000) + this.ttlSeconds);
    const params = new URLSearchParams({ 'response-content-disposition': disposition, Expires: expires });
    params.set('Signature', this.signature(path, expires, disposition));
    params.set('Key-Pair-Id', KEY_PAIR_ID);
    return `${cdnOrigin}${path}?${params}`;
  }

  verify(path: string, params: URLSearchParams): 'ok' | 'expired' | 'bad-signature' {
    const expires = params.get('Expires') ?? '';
    const given = Buffer.from(params.get('Signature') ?? '');
    const wanted = Buffer.from(
      this.signature(path, expires, params.get('response-content-disposition') ?? ''),
    );
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return 'bad-signature';
    return Number(expires) * 1000 <= Date.now() ? 'expired' : 'ok';
  }

  private signature(path: string, expires: string, disposition: string): string {
    return createHmac('sha256', this.secret)
      .update(`${path}\n${expires}\n${disposition}`)
      .digest('base64url');
  }
}
