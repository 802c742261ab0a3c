import { pipeline, Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export class UpstreamBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamBodyError';
  }
}

/**
 * Reads a small upstream body fully (API JSON, error bodies), decoding `Content-Encoding` (a Hub,
 * or something pretending to be one, may compress even when not asked): the limit applies to the
 * decoded size, so a compression bomb is a clean error, never an exhausted process.
 */
export async function readSmallBody(
  body: Readable,
  limit = 64 * 1024 * 1024,
  contentEncoding?: string,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  let source = body;
  try {
    source = decoded(body, contentEncoding);
    for await (const part of source) {
      size += (part as Buffer).length;
      if (size > limit) throw new UpstreamBodyError(`Upstream body larger than ${limit} bytes`);
      parts.push(part as Buffer);
    }
  } catch (err) {
    // Destroying an undici body nobody reads emits an 'error' (RequestAbortedError): unheard, it kills the process.
    body.on('error', () => undefined).destroy();
    source.destroy();
    if (err instanceof UpstreamBodyError) throw err;
    throw new UpstreamBodyError(`Upstream body unreadable: ${(err as Error).message}`);
  }
  return Buffer.concat(parts);
}

function decoded(body: Readable, contentEncoding: string | undefined): Readable {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c && c !== 'identity');
  const steps: Transform[] = [];
  // Codings are listed in the order they were applied: undo them last to first.
  for (const coding of codings.reverse()) {
    const step: Transform | undefined =
      coding === 'gzip' || coding === 'x-gzip'
        ? createGunzip()
        : coding === 'deflate'
          ? createInflate()
          : coding === 'br'
            ? createBrotliDecompress()
            : undefined;
    if (!step) throw new UpstreamBodyError(`Upstream used an unknown Content-Encoding: ${coding}`);
    steps.push(step);
  }
  // pipeline() carries an error of any stage (a truncated body, bad gzip) to the last one.
  return steps.length ? (pipeline([body, ...steps], () => undefined) as unknown as Readable) : body;
}
