import ipaddr from 'ipaddr.js';

/** Address ranges an upstream redirect must never lead the mirror to (its own network). */
const INTERNAL_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
]);

export function isInternalAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return INTERNAL_RANGES.has(parsed.range());
}

export class UpstreamRefusedError extends Error {
  constructor(
    readonly origin: string,
    detail: string,
  ) {
    super(`Refused to fetch from ${origin}: ${detail}`);
    this.name = 'UpstreamRefusedError';
  }
}

/**
 * Where the mirror may connect. Configured upstreams are trusted wherever they are (an internal
 * mirror of the Hub is a normal set-up); any other origin (a CDN a redirect points at) must
 * resolve to a public address, checked on the socket actually connected so DNS tricks do not
 * help. `allowPrivate` opens internal addresses to all origins (`true`) or to listed ones.
 */
export class UpstreamAddressPolicy {
  private readonly trusted: Set<string>;
  private readonly allowAll: boolean;

  constructor(trustedOrigins: string[], allowPrivate: boolean | string[] = false) {
    const listed = Array.isArray(allowPrivate) ? allowPrivate : [];
    this.trusted = new Set([...trustedOrigins, ...listed].map((o) => new URL(o).origin));
    this.allowAll = allowPrivate === true;
  }

  /** Refuses schemes other than http(s) before any connection is made. */
  assertUrl(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UpstreamRefusedError(url.origin, `scheme ${url.protocol} is not http(s)`);
  }

  /** Checks the address a connection to `origin` reached. */
  assertConnected(origin: string, remoteAddress: string | undefined): void {
    if (this.allowAll || this.trusted.has(origin)) return;
    if (!remoteAddress || isInternalAddress(remoteAddress))
      throw new UpstreamRefusedError(
        origin,
        `it resolved to the internal address ${remoteAddress ?? '(unknown)'} (set DINGO_UPSTREAM_ALLOW_PRIVATE to allow)`,
      );
  }
}
