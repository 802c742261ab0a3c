/** Query keys whose absence means `false` on the Hub: `expand=false` and no `expand` are one answer. */
const FALSE_BY_DEFAULT = new Set([
  'recursive',
  'expand',
  'blobs',
  'full',
  'securityStatus',
  'cardData',
  'config',
]);

/**
 * The canonical form of an API URL's path and query: keys sorted (values of one key keep their
 * order), booleans lower-cased, default `false` flags dropped. Two spellings of one question
 * (`recursive=True&expand=False` and `recursive=true`) share one cache entry and one upstream call.
 */
export function canonicalApiUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const kept: Array<[string, string]> = [];
  for (const [key, raw] of params) {
    const value = /^(true|false)$/i.test(raw) ? raw.toLowerCase() : raw;
    if (value === 'false' && FALSE_BY_DEFAULT.has(key)) continue;
    kept.push([key, value]);
  }
  if (!kept.length) return url.slice(0, q);
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${url.slice(0, q)}?${new URLSearchParams(kept).toString()}`;
}
