import { Readable } from 'node:stream';
import {
  UpstreamRequest,
  UpstreamResponse,
  UpstreamSender,
  UpstreamUnreachableError,
} from '../upstream-client';

/** What a scripted upstream answers: a response, or an error thrown as UpstreamHttp would. */
export interface FakeAnswer {
  status: number;
  headers?: Record<string, string | undefined>;
  /** Bytes, or a stream (e.g. one that breaks after a few bytes). */
  body?: string | Buffer | Readable;
}

export type FakeRoute = (req: UpstreamRequest & { url: string }) => FakeAnswer | Promise<FakeAnswer>;

/**
 * An UpstreamSender that answers from a script, in memory: unit tests of the router, the file
 * locator, the chunk puller and the API proxy use it instead of a real HTTP server. Every request
 * is recorded with its absolute URL. A route that throws acts like a failed connection.
 */
export class FakeUpstream implements UpstreamSender {
  readonly requests: Array<UpstreamRequest & { url: string }> = [];

  constructor(private route: FakeRoute = () => ({ status: 404 })) {}

  /** Replaces the script. */
  answer(route: FakeRoute): this {
    this.route = route;
    return this;
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const url = new URL(req.url);
    this.requests.push({ ...req, url: url.toString() });
    const answer = await this.route({ ...req, url: url.toString() });
    const body =
      answer.body instanceof Readable
        ? answer.body
        : Readable.from(answer.body === undefined ? [] : [Buffer.from(answer.body)]);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(answer.headers ?? {})) headers[k.toLowerCase()] = v;
    return { status: answer.status, headers, body, url: url.toString(), origin: url.origin };
  }

  /** Requests whose URL contains `part`. */
  sent(part: string): Array<UpstreamRequest & { url: string }> {
    return this.requests.filter((r) => r.url.includes(part));
  }
}

/** Throws what UpstreamHttp throws when an origin cannot be reached (or times out). */
export function unreachable(url: string, code = 'ECONNREFUSED'): never {
  throw new UpstreamUnreachableError(new URL(url).origin, Object.assign(new Error(code), { code }));
}

/** A JSON answer. */
export function json(value: unknown, status = 200, headers: Record<string, string> = {}): FakeAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}

/** A body that sends `bytes` then fails, like a connection reset mid-transfer. */
export function brokenBody(bytes: Buffer, error = new Error('socket hang up')): Readable {
  return Readable.from(
    (async function* () {
      yield bytes;
      throw error;
    })(),
  );
}
