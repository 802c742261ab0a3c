import { GEAR_HI, GEAR_LO } from './gear-table';

/** Content-defined chunking parameters of the Xet protocol: target 64 KiB, min 8 KiB, max 128 KiB. */
export const XET_TARGET_CHUNK = 64 * 1024;
export const XET_MIN_CHUNK = XET_TARGET_CHUNK / 8;
export const XET_MAX_CHUNK = XET_TARGET_CHUNK * 2;
/** The gear hash's window: the first min−64−1 bytes of a chunk are not hashed (they cannot matter). */
const HASH_WINDOW = 64;
const SKIP = XET_MIN_CHUNK - HASH_WINDOW - 1;
/**
 * The boundary mask is target−1 shifted to the top of the 64-bit word, i.e. the high 16 bits;
 * only the high 32-bit half is tested.
 */
const MASK_HI = (((XET_TARGET_CHUNK - 1) << (32 - Math.log2(XET_TARGET_CHUNK))) >>> 0) as number;

/**
 * Streaming gear-hash chunker: feed bytes in any pieces with `push`, then `finish`. Returns
 * chunk boundaries exactly as the Xet client cuts them, so chunk hashes (and file hashes) match.
 * Chunks are returned as views of the input where possible, copies where they span pushes.
 */
export class XetChunker {
  private hi = 0;
  private lo = 0;
  /** Bytes of the current (unfinished) chunk seen so far. */
  private length = 0;
  private pending: Buffer[] = [];

  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    let i = 0;
    const n = data.length;
    while (i < n) {
      if (this.length < SKIP) {
        const step = Math.min(SKIP - this.length, n - i);
        i += step;
        this.length += step;
        continue;
      }
      const cut = this.scan(data, i);
      if (cut < 0) {
        this.length += n - i;
        i = n;
        break;
      }
      this.length += cut - i;
      i = cut;
      out.push(this.take(data, start, i));
      start = i;
    }
    if (start < n) this.pending.push(data.subarray(start));
    return out;
  }

  /** The last chunk (if any bytes remain). */
  finish(): Buffer[] {
    if (this.length === 0) return [];
    const last = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.reset();
    return [last];
  }

  /** Hashes from `from` until a boundary; returns the index just past it, or −1 if none in `data`. */
  private scan(data: Buffer, from: number): number {
    let hi = this.hi;
    let lo = this.lo;
    let len = this.length;
    for (let i = from; i < data.length; i++) {
      const b = data[i];
      // hash = (hash << 1) + GEAR[b]  (mod 2^64), on two 32-bit halves
      const shiftedLo = (lo << 1) >>> 0;
      hi = (((hi << 1) | (lo >>> 31)) + GEAR_HI[b]) >>> 0;
      const sumLo = shiftedLo + GEAR_LO[b];
      if (sumLo > 0xffffffff) hi = (hi + 1) >>> 0;
      lo = sumLo >>> 0;
      len++;
      if (((hi & MASK_HI) === 0 && len >= XET_MIN_CHUNK) || len >= XET_MAX_CHUNK) {
        this.hi = 0;
        this.lo = 0;
        return i + 1;
      }
    }
    this.hi = hi;
    this.lo = lo;
    return -1;
  }

  private take(data: Buffer, start: number, end: number): Buffer {
    const piece = data.subarray(start, end);
    const chunk = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
    this.reset();
    return chunk;
  }

  private reset(): void {
    this.pending = [];
    this.length = 0;
    this.hi = 0;
    this.lo = 0;
  }
}

/** Chunks a whole buffer (tests, small contents). */
export function chunkBuffer(data: Buffer): Buffer[] {
  const chunker = new XetChunker();
  return [...chunker.push(data), ...chunker.finish()];
}
