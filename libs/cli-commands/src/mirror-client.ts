import { Readable } from 'node:stream';
import { Agent, Dispatcher, request } from 'undici';
import { CliError, EXIT, exitCodeFor } from './cli-errors';

export interface MirrorResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/**
 * HTTP to the mirror: one keep-alive pool (enough connections for parallel ranges), the token on
 * every request, relative redirects followed (renamed repos), and the mirror's error answers turned
 * into one-line errors with an exit code.
 */
export class MirrorClient {
  private readonly agent: Agent;

  constructor(
    readonly endpoint: string,
    private readonly token: string | undefined,
    connections = 16,
    private readonly timeoutMs = 60_000,
  ) {
    this.agent = new Agent({
      connections,
      keepAliveTimeout: 10_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  url(path: string): string {
    return `${this.endpoint}${path}`;
  }

  /** A request; error statuses throw (their body read for the message). */
  async send(
    path: string,
    headers: Record<string, string> = {},
    method: 'GET' | 'HEAD' | 'POST' = 'GET',
    body?: string,
  ) {
    let url = this.url(path);
    for (let hop = 0; hop < 5; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          body,
          dispatcher: this.agent,
          headers: {
            'user-agent': 'dingo-cli',
            ...(this.token && { authorization: `Bearer ${this.token}` }),
            ...headers,
          },
        });
      } catch (err) {
        throw new CliError(
          EXIT.unavailable,
          `mirror ${this.endpoint} unreachable: ${(err as Error).message || (err as Error).name}`,
        );
      }
      const h = flatHeaders(res.headers);
      if (res.statusCode >= 300 && res.statusCode < 400 && h.location) {
        res.body.resume();
        url = new URL(h.location, url).toString();
        continue;
      }
      if (res.statusCode >= 400) throw await this.errorOf(res.statusCode, h, res.body, path);
      return { status: res.statusCode, headers: h, body: res.body as unknown as Readable };
    }
    throw new CliError(EXIT.failure, `too many redirects for ${path}`);
  }

  async json<T>(path: string): Promise<{ body: T; headers: Record<string, string> }> {
    const res = await this.send(path, { accept: 'application/json' });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    try {
      return { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T, headers: res.headers };
    } catch {
      throw new CliError(EXIT.failure, `${path}: the mirror's answer is not JSON`);
    }
  }

  /** POSTs a JSON body; answers the JSON reply. */
  async postJson<T>(path: string, body: unknown): Promise<T> {
    const res = await this.send(
      path,
      { 'content-type': 'application/json', accept: 'application/json' },
      'POST',
      JSON.stringify(body),
    );
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return (text ? JSON.parse(text) : {}) as T;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async errorOf(
    status: number,
    headers: Record<string, string>,
    body: Dispatcher.ResponseData['body'],
    path: string,
  ): Promise<CliError> {
    let message: string | undefined = headers['x-error-message'];
    const text = await body.text().catch(() => '');
    if (!message) {
      try {
        message = (JSON.parse(text) as { error?: string }).error;
      } catch {
        message = undefined;
      }
    }
    const code = headers['x-error-code'];
    const what = code ? `${code}: ` : '';
    return new CliError(
      exitCodeFor(status, code),
      `${status} ${what}${(message ?? text.slice(0, 200)) || 'error'} (${path.split('?')[0]})`,
    );
  }
}

function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
