import { UpstreamRefusedError } from './address-policy';
import { UpstreamResponse } from './upstream-client';

export const MAX_REDIRECTS = 5;

export function isRedirect(res: UpstreamResponse): boolean {
  return res.status >= 300 && res.status < 400 && res.headers.location !== undefined;
}

/**
 * Where a redirect leads, checked: http(s) only, at most MAX_REDIRECTS hops, no loops. A refusal
 * is an UpstreamRefusedError (the Hub surface answers 502), never an endless chase.
 */
export function redirectTarget(res: UpstreamResponse, visited: Set<string>): URL {
  let target: URL;
  try {
    target = new URL(res.headers.location!, res.url);
  } catch {
    throw new UpstreamRefusedError(
      res.origin,
      `unparsable redirect Location ${JSON.stringify(res.headers.location)}`,
    );
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new UpstreamRefusedError(res.origin, `redirect to a ${target.protocol} URL`);
  visited.add(res.url);
  if (visited.has(target.toString())) throw new UpstreamRefusedError(res.origin, 'redirect loop');
  if (visited.size > MAX_REDIRECTS)
    throw new UpstreamRefusedError(res.origin, `more than ${MAX_REDIRECTS} redirects`);
  return target;
}
