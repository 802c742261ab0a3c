import { stripXetLink } from '@dingo/hub-protocol';

/** Stands for the mirror's public base URL in cached `Link`/`Location` headers. */
const BASE = '{{public-base}}';

/**
 * `Link` and `Location` of an upstream answer, made origin-free before the answer is cached:
 * URLs on the upstream origin get a placeholder for the mirror's base, URLs elsewhere are dropped
 * (they would lead clients off the mirror; Xet links are dropped too), relative ones are kept as
 * they are. Nothing taken from the client's request goes into a cache entry: each response gets
 * the mirror's public base put in by `withPublicBase`.
 */
export function originFreeLinks(headers: Record<string, string>, upstreamOrigin: string): void {
  const onUpstream = (url: string) => url.startsWith(`${upstreamOrigin}/`);
  const kept = stripXetLink(headers.link)
    ?.split(/,(?=\s*<)/)
    .map((part) => part.trim())
    .filter((part) => onUpstream(part.slice(1)) || part.startsWith('</'))
    .map((part) => (onUpstream(part.slice(1)) ? `<${BASE}${part.slice(1 + upstreamOrigin.length)}` : part));
  if (kept?.length) headers.link = kept.join(', ');
  else delete headers.link;
  const location = headers.location;
  if (location && onUpstream(location)) headers.location = BASE + location.slice(upstreamOrigin.length);
  else if (location && !(location.startsWith('/') && !location.startsWith('//'))) delete headers.location;
}

/** Puts the mirror's public base into the placeholders of a cached answer's headers. */
export function withPublicBase(headers: Record<string, string>, publicBase: string): Record<string, string> {
  const out = { ...headers };
  if (out.link) out.link = out.link.split(BASE).join(publicBase);
  if (out.location) out.location = out.location.split(BASE).join(publicBase);
  return out;
}
