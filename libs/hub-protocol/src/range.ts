import { HubError } from './hub-error';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Parses a single-range `Range` header against a file of `size` bytes (RFC 9110 §14.1.2).
 * Returns undefined for no/ignorable ranges (multi-range is answered with the full body, as
 * allowed); throws 416 when unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw HubError.rangeNotSatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined; // invalid: ignore, serve whole
  }
  if (start >= size || size === 0) throw HubError.rangeNotSatisfiable(size);
  return { start, end };
}
