import type { FileSlice } from './sim-response';

export type RangeRequest =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * `bytes=a-b`, `bytes=a-`, `bytes=-n`. Like S3, a malformed or multi-range header is ignored
 * (whole body); a range starting past the end is unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Infinity : Number(m[2]);
  if (end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

/** Status, range headers and body slice for serving (part of) a stored file. */
export function rangedBody(
  header: string | undefined,
  diskPath: string,
  size: number,
): { status: number; headers: Record<string, string>; body?: FileSlice } {
  const range = parseRange(header, size);
  if (range.kind === 'unsatisfiable') {
    return { status: 416, headers: { 'Content-Range': `bytes */${size}`, 'Content-Length': '0' } };
  }
  if (range.kind === 'partial') {
    return {
      status: 206,
      headers: {
        'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
        'Content-Length': String(range.end - range.start + 1),
      },
      body: { diskPath, start: range.start, end: range.end },
    };
  }
  return {
    status: 200,
    headers: { 'Content-Length': String(size) },
    body: { diskPath, start: 0, end: size - 1 },
  };
}

export function contentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${ascii}";`;
}

const TEXT_EXTENSIONS = new Set([
  'txt',
  'md',
  'py',
  'yaml',
  'yml',
  'csv',
  'tsv',
  'jsonl',
  'cfg',
  'ini',
  'toml',
  'js',
  'ts',
  'html',
  'css',
  'sh',
  'gitattributes',
  'gitignore',
  'model_card',
  'jinja',
]);

export function contentTypeFor(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
  if (ext === 'json') return 'application/json';
  if (TEXT_EXTENSIONS.has(ext) || name === 'license' || name === 'readme') return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export function isCompressibleType(contentType: string): boolean {
  return contentType.startsWith('text/') || contentType.startsWith('application/json');
}
