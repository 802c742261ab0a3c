import { EventEmitter } from 'node:events';
import { closeSync, openSync, read } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A file being written by one producer and read by many consumers at once: readers follow the
 * writer ("tail -f") so the first byte reaches every waiting client as soon as it lands on disk,
 * while memory stays bounded by the stream buffers.
 */
export class GrowingFile extends EventEmitter {
  written = 0;
  finished = false;
  failure?: Error;

  constructor(
    readonly path: string,
    readonly size: number,
  ) {
    super();
    this.setMaxListeners(0);
  }

  advance(bytes: number): void {
    this.written += bytes;
    this.emit('progress');
  }

  finish(): void {
    this.finished = true;
    this.emit('progress');
  }

  fail(err: Error): void {
    this.failure = err;
    this.emit('progress');
  }

  /**
   * Resolves once the byte at `offset` is written (or the file is complete); rejects with the
   * writer's failure, or with FirstByteTimeoutError after `timeoutMs`.
   */
  whenAvailable(offset: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.failure) finish(this.failure);
        else if (this.written > offset || this.finished) finish();
      };
      const timer = setTimeout(() => finish(new FirstByteTimeoutError(timeoutMs)), timeoutMs);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.off('progress', check);
        if (err) reject(err);
        else resolve();
      };
      this.on('progress', check);
      check();
    });
  }

  /** Reads [start, end] (inclusive) of the file, waiting for the writer as needed. Opens now. */
  createReader(start: number, end: number): Readable {
    const fd = openSync(this.path, 'r');
    return new TailReader(this, fd, start, end);
  }
}

export class FirstByteTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no bytes arrived from upstream within ${timeoutMs} ms`);
    this.name = 'FirstByteTimeoutError';
  }
}

class TailReader extends Readable {
  private waiting = false;

  constructor(
    private readonly file: GrowingFile,
    private readonly fd: number,
    private pos: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _read(size: number): void {
    if (this.pos > this.end) {
      this.push(null);
      return;
    }
    const available = Math.min(this.file.written, this.end + 1) - this.pos;
    if (available <= 0) {
      if (this.file.failure) {
        this.destroy(this.file.failure);
        return;
      }
      if (this.file.finished) {
        this.destroy(new Error('Chunk ended before the requested range'));
        return;
      }
      if (!this.waiting) {
        this.waiting = true;
        this.file.once('progress', () => {
          this.waiting = false;
          this._read(size);
        });
      }
      return;
    }
    const length = Math.min(available, Math.max(size, 64 * 1024), 1024 * 1024);
    const buf = Buffer.allocUnsafe(length);
    read(this.fd, buf, 0, length, this.pos, (err, n) => {
      if (err) return this.destroy(err);
      this.pos += n;
      this.push(n === length ? buf : buf.subarray(0, n));
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    cb(err);
  }
}
