import { createHash } from 'node:crypto';
import { request } from 'undici';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A plain HTTP call with no redirect following and raw headers, as a Hub client sees it. */
export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers,
    body: init.body,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: res.statusCode, headers, body };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
