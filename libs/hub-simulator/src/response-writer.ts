import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { open } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { FaultInjector, BodyFault, RequestFault } from './fault-injector';
import { HubError } from './hub-error';
import { bodyLength, type SimResponse } from './sim-response';
import type { StatsRecorder } from './stats-recorder';
import { TokenBucket } from './token-bucket';
import type { SimOrigin } from './types';

export interface WriterSettings {
  latencyMs: number;
  /** Bytes/s per connection for file content bodies; 0 = unlimited. */
  bandwidthPerConnection: number;
  /** Bytes/s for all file content bodies of this origin together (its uplink); 0/undefined = unlimited. */
  bandwidthTotal?: number;
}

export type ErrorRenderer = (err: HubError) => SimResponse;

const READ_CHUNK = 256 * 1024;

/**
 * Sends controllers' answers: records the request, applies latency and injected faults,
 * paces file bodies per connection, streams from disk with backpressure and counts bytes.
 */
export class ResponseWriter {
  private readonly buckets = new WeakMap<Socket, TokenBucket>();
  /** Shared by every connection when the simulator has a total cap. */
  private readonly total?: TokenBucket;

  constructor(
    private readonly stats: StatsRecorder,
    private readonly faults: FaultInjector,
    private readonly settings: WriterSettings,
  ) {
    if (settings.bandwidthTotal) this.total = new TokenBucket(settings.bandwidthTotal);
  }

  async serve(
    origin: SimOrigin,
    req: IncomingMessage,
    res: ServerResponse,
    renderError: ErrorRenderer,
    handle: () => Promise<SimResponse> | SimResponse,
  ): Promise<void> {
    const url = req.url ?? '/';
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const record = this.stats.record({
      method: req.method ?? 'GET',
      origin,
      path: url,
      status: 0,
      ...(req.headers.range && { range: req.headers.range }),
      ...(auth && { auth }),
      ...(req.headers['user-agent'] && { userAgent: req.headers['user-agent'] }),
    });

    const requestFault = this.faults.takeRequestFault(url);
    let response: SimResponse;
    if (requestFault?.kind === 'status') {
      response = renderError(HubError.forStatus(requestFault.status));
    } else {
      try {
        response = await handle();
      } catch (err) {
        response = renderError(err instanceof HubError ? err : new HubError(500, String(err)));
      }
    }
    if (requestFault) response = await misbehave(response, requestFault);

    const delay = this.settings.latencyMs + (requestFault?.kind === 'slow-start' ? requestFault.delayMs : 0);
    if (delay > 0) await sleepUnlessClosed(res, delay);
    if (res.destroyed) return;

    const isHead = req.method === 'HEAD';
    const length = bodyLength(response.body);
    const bodyFault = this.faults.takeBodyFault(url, isHead ? 0 : length);
    const headers = { ...response.headers };
    if (headers['Content-Length'] === undefined && response.status !== 204 && response.status !== 304) {
      headers['Content-Length'] = String(length);
    }
    res.writeHead(response.status, headers);
    record.status = response.status;

    if (isHead || length === 0) {
      if (bodyFault) return this.fire(res, bodyFault);
      res.end();
      return;
    }
    await this.sendBody(res, response, length, bodyFault);
  }

  private async sendBody(res: ServerResponse, response: SimResponse, length: number, fault?: BodyFault) {
    const socket = res.socket;
    const stopAt = fault ? fault.afterBytes : Infinity;
    const paced = response.content && this.settings.bandwidthPerConnection > 0 && socket;
    const bucket = paced ? this.bucketFor(socket) : undefined;
    const total = response.content ? this.total : undefined;
    const content = response.content;
    const body = response.body!;
    const stream = Buffer.isBuffer(body)
      ? undefined
      : createReadStream(body.diskPath, { start: body.start, end: body.end, highWaterMark: READ_CHUNK });
    const source: Iterable<Buffer> | AsyncIterable<Buffer> = stream ?? [body as Buffer];

    let sent = 0;
    try {
      for await (const chunk of source) {
        let rest: Buffer = chunk;
        while (rest.length > 0) {
          if (sent >= stopAt) return this.fire(res, fault!);
          let n = Math.min(rest.length, stopAt - sent);
          if (bucket) n = await bucket.take(n);
          if (total) n = await total.take(n);
          if (res.destroyed) return;
          const piece = rest.subarray(0, n);
          rest = rest.subarray(n);
          sent += n;
          if (content) this.stats.addBytes(content.sha256, content.path, n);
          if (sent >= stopAt) {
            // Let the last bytes before the fault reach the socket.
            await new Promise<void>((resolve) => res.write(piece, () => resolve()));
          } else if (!res.write(piece)) {
            await drainOrClose(res);
          }
        }
      }
      if (sent >= stopAt && sent < length) return this.fire(res, fault!);
      res.end();
    } catch {
      res.destroy();
    } finally {
      stream?.destroy();
    }
  }

  private fire(res: ServerResponse, fault: BodyFault): void {
    res.flushHeaders();
    // A stall writes nothing more: the socket stays open until the client gives up or stop().
    if (fault.kind === 'reset') {
      const socket = res.socket;
      setImmediate(() => socket?.destroy());
    }
  }

  private bucketFor(socket: Socket): TokenBucket {
    let b = this.buckets.get(socket);
    if (!b) {
      b = new TokenBucket(this.settings.bandwidthPerConnection);
      this.buckets.set(socket, b);
    }
    return b;
  }
}

/** The response-changing faults: what a hostile or broken upstream sends instead of the truth. */
async function misbehave(response: SimResponse, fault: RequestFault): Promise<SimResponse> {
  switch (fault.kind) {
    case 'redirect':
      return {
        status: fault.status ?? 302,
        headers: { Location: fault.location, 'Content-Type': 'text/plain' },
        body: Buffer.alloc(0),
      };
    case 'headers':
      return { ...response, headers: { ...response.headers, ...fault.set } };
    case 'gzip': {
      const body = gzipSync(await bodyBytes(response));
      const { 'Content-Length': _length, ...headers } = response.headers;
      return { ...response, headers: { ...headers, 'Content-Encoding': 'gzip' }, body };
    }
    case 'body': {
      const { 'Content-Length': _length, 'Content-Range': _range, ...headers } = response.headers;
      return {
        status: fault.status ?? response.status,
        headers: { ...headers, ...fault.headers },
        body: Buffer.isBuffer(fault.body) ? fault.body : Buffer.from(fault.body),
      };
    }
    case 'corrupt': {
      const body = Buffer.from(await bodyBytes(response));
      if (fault.atByte < body.length) body[fault.atByte] ^= 0xff;
      return { ...response, body };
    }
    default:
      return response;
  }
}

async function bodyBytes(response: SimResponse): Promise<Buffer> {
  const body = response.body;
  if (!body) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  const handle = await open(body.diskPath, 'r');
  try {
    const out = Buffer.alloc(Math.max(0, body.end - body.start + 1));
    await handle.read(out, 0, out.length, body.start);
    return out;
  } finally {
    await handle.close();
  }
}

/** Waits `ms`, or less when the client goes away first (no timer outlives the request). */
function sleepUnlessClosed(res: ServerResponse, ms: number): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
