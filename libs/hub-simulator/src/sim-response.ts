import { randomBytes } from 'node:crypto';
import type { HubError } from './hub-error';

/** A byte range of a file on disk; `end` inclusive (an empty slice has end = start - 1). */
export interface FileSlice {
  diskPath: string;
  start: number;
  end: number;
}

/** What a controller answers; the ResponseWriter applies latency, faults and throttling while sending it. */
export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | FileSlice;
  /** Set when the body is file content: throttled, and counted in stats.bytesServed. */
  content?: { sha256: string; path?: string };
}

export function bodyLength(body: SimResponse['body']): number {
  if (!body) return 0;
  return Buffer.isBuffer(body) ? body.length : Math.max(0, body.end - body.start + 1);
}

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
  'X-Xet-Hash',
].join(',');

/** An id shaped like the Hub's (AWS load balancer trace id). */
export function newRequestId(): string {
  const t = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${t}-${randomBytes(12).toString('hex')}`;
}

/** Headers every Hub response carries. */
export function hubHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'X-Powered-By': 'huggingface-moon',
    'X-Request-Id': newRequestId(),
    Vary: 'Origin, Accept-Encoding',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': EXPOSED_HEADERS,
    ...extra,
  };
}

export function jsonResponse(
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers: hubHeaders({ 'Content-Type': 'application/json; charset=utf-8', ...extra }),
    body: Buffer.from(JSON.stringify(value)),
  };
}

export function hubErrorResponse(err: HubError): SimResponse {
  return jsonResponse(
    err.status,
    { error: err.message },
    {
      ...(err.code && { 'X-Error-Code': err.code }),
      'X-Error-Message': err.message,
      ...(err.status === 429 && { 'Retry-After': '1' }),
      ...err.headers,
    },
  );
}
