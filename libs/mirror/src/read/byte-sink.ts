import { ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';

/** Where served bytes came from: the store, or upstream as they arrived. */
export type ByteSource = 'cache' | 'upstream';

/** How far a copy got: the bytes written, and the error that stopped it early, if any. */
export interface CopyOutcome {
  bytes: number;
  error?: Error;
}

/**
 * Where a response body goes: the client's socket, written with backpressure. `beforeFirstByte`
 * runs once, just before the first byte: the HTTP status and headers go out then, so anything
 * that fails before a byte is ready can still be answered with a proper error status.
 */
export class ByteSink {
  started = false;
  written = 0;
  /** Bytes written per source. */
  readonly bySource: Record<ByteSource, number> = { cache: 0, upstream: 0 };

  constructor(
    private readonly out: Writable,
    private readonly beforeFirstByte: () => void = () => undefined,
  ) {}

  /** Copies `src` to the client; a failure of `src` is returned (with the bytes copied), not thrown. */
  async copy(src: Readable, from: ByteSource): Promise<CopyOutcome> {
    let bytes = 0;
    try {
      for await (const buf of src as AsyncIterable<Buffer>) {
        if (this.out.destroyed || this.out.writableEnded) throw new ClientGoneError();
        if (!this.started) {
          this.started = true;
          this.beforeFirstByte();
        }
        bytes += buf.length;
        this.written += buf.length;
        this.bySource[from] += buf.length;
        if (!this.out.write(buf)) await drained(this.out);
      }
      return { bytes };
    } catch (err) {
      src.destroy();
      if (err instanceof ClientGoneError) throw err;
      return { bytes, error: err as Error };
    }
  }

  /**
   * Writes bytes of a buffer the caller reuses: `release` runs once the client's socket has taken
   * them (an HTTP response's write callback). Any other sink gets a copy, released at once, since
   * its writes may keep a reference to the buffer.
   */
  async writeReused(buf: Buffer, from: ByteSource, release: () => void): Promise<void> {
    if (this.out.destroyed || this.out.writableEnded) {
      release();
      throw new ClientGoneError();
    }
    if (!this.started) {
      this.started = true;
      this.beforeFirstByte();
    }
    this.written += buf.length;
    this.bySource[from] += buf.length;
    let ready: boolean;
    if (this.out instanceof ServerResponse) {
      // Not released on error: the socket may still hold it; the GC takes it then.
      ready = this.out.write(buf, (err) => {
        if (!err) release();
      });
    } else {
      ready = this.out.write(Buffer.from(buf));
      release();
    }
    if (!ready) await drained(this.out);
  }
}

export class ClientGoneError extends Error {
  constructor() {
    super('client went away');
    this.name = 'ClientGoneError';
  }
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new ClientGoneError());
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onClose);
  });
}
