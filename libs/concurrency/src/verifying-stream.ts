import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

export class ChecksumMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Checksum mismatch: expected ${expected}, got ${actual}`);
    this.name = 'ChecksumMismatchError';
  }
}

/**
 * Passes bytes through while hashing them, holding back the last buffer until the hash is known:
 * a reader never receives all of a corrupt chunk, so it cannot mistake it for a good one.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private held?: Buffer;

  constructor(
    private readonly expectedSha256: string,
    private readonly onMismatch?: (err: ChecksumMismatchError) => void,
    private readonly onVerified?: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    if (this.held) this.push(this.held);
    this.held = chunk;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expectedSha256) {
      const err = new ChecksumMismatchError(this.expectedSha256, actual);
      this.onMismatch?.(err);
      return cb(err);
    }
    if (this.held) this.push(this.held);
    this.onVerified?.();
    cb();
  }
}
