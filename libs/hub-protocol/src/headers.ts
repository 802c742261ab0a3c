/** Response headers the Hub exposes to browsers; @huggingface/hub in a browser needs them. */
export const EXPOSED_HEADERS = [
  'X-Repo-Commit',
  'X-Request-Id',
  'X-Error-Code',
  'X-Error-Message',
  'X-Total-Count',
  'ETag',
  'Link',
  'Accept-Ranges',
  'Content-Range',
  'X-Linked-Size',
  'X-Linked-ETag',
].join(',');

/** Headers that switch current clients to the Xet protocol (which would bypass the mirror). */
export const XET_HEADERS = [
  'x-xet-hash',
  'x-xet-refresh-route',
  'x-xet-cas-url',
  'x-xet-access-token',
  'x-xet-token-expiration',
  'x-xet-endpoint',
];

export function stripXetLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  const kept = link
    .split(/,(?=\s*<)/)
    .filter((part) => !/rel="?xet-/i.test(part))
    .map((p) => p.trim());
  return kept.length ? kept.join(', ') : undefined;
}

export function quoteEtag(value: string): string {
  return `"${value}"`;
}

/** `W/"abc"` or `"abc"` -> `abc`, as huggingface_hub normalizes. */
export function normalizeEtag(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}

const TEXT_EXT = /\.(txt|md|py|yaml|yml|csv|tsv|jsonl|gitattributes|model|vocab|merges)$/i;

export function contentTypeFor(path: string): string {
  if (/\.json$/i.test(path)) return 'application/json';
  if (TEXT_EXT.test(path) || /(^|\/)(README|LICENSE|\.gitattributes)$/i.test(path))
    return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export function contentDispositionFor(path: string): string {
  const name = path.split('/').pop() ?? path;
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${ascii}";`;
}
