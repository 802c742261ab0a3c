import { Readable } from 'node:stream';
import { ChunkFile } from './chunk-store';

/**
 * A ChunkFile over a remote object's body (one GET): reads that go front to back, as a cache-hit
 * copy's block reads do, are copied out of the response as it arrives, so a whole chunk costs one
 * request; a read anywhere else drops the body and asks for the object again from there.
 */
export class StreamedChunkFile implements ChunkFile {
  private pieces: AsyncIterator<Buffer>;
  /** Bytes of the last piece not read yet. */
  private rest?: Buffer;
  private ended = false;

  constructor(
    private body: Readable,
    /** Object offset of the body's first byte. */
    private position: number,
    /** The body of the object from `start` on (a range request). */
    private readonly reopen: (start: number) => Promise<Readable>,
  ) {
    this.pieces = body[Symbol.asyncIterator]();
  }

  async read(into: Buffer, length: number, position: number): Promise<number> {
    if (position !== this.position) await this.restartAt(position);
    let got = 0;
    while (got < length) {
      const piece = this.rest ?? (await this.nextPiece());
      if (!piece) break;
      const n = piece.copy(into, got, 0, Math.min(piece.length, length - got));
      this.rest = n < piece.length ? piece.subarray(n) : undefined;
      got += n;
    }
    this.position += got;
    return got;
  }

  async close(): Promise<void> {
    this.rest = undefined;
    this.body.destroy();
  }

  private async nextPiece(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    const next = await this.pieces.next();
    if (next.done) this.ended = true;
    return next.done ? undefined : next.value;
  }

  private async restartAt(position: number): Promise<void> {
    this.body.destroy();
    this.body = await this.reopen(position);
    this.pieces = this.body[Symbol.asyncIterator]();
    this.position = position;
    this.rest = undefined;
    this.ended = false;
  }
}
