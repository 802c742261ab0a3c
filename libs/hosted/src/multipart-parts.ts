import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HubError } from '@dingo/hub-protocol';

/** How a multipart LFS upload is cut: parts of `partSize` bytes, the last one shorter. */
export interface PartLayout {
  size: number;
  partSize: number;
}

export function partCount(l: PartLayout): number {
  return Math.max(1, Math.ceil(l.size / l.partSize));
}

export function partLength(l: PartLayout, n: number): number {
  return Math.min(l.partSize, l.size - (n - 1) * l.partSize);
}

/**
 * The parts of multipart LFS uploads, on local disk until the completion call (clients upload
 * parts in parallel and out of order): `<dir>/<oid>-<size>/<n>`. The completion streams them in
 * order into the chunk store, which checks the sha256 of the whole, then they are removed.
 */
export class MultipartParts {
  private sweptAt = 0;

  constructor(
    private readonly dir: string,
    /** Parts of uploads nobody completed are removed after this long (their URLs have expired). */
    private readonly maxAgeMs = 2 * 3600_000,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.removeAbandoned();
  }

  /** Removes the parts of abandoned uploads; runs at most every ten minutes. */
  removeAbandoned(now = Date.now()): void {
    if (now - this.sweptAt < 600_000) return;
    this.sweptAt = now;
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      try {
        if (now - statSync(path).mtimeMs > this.maxAgeMs) rmSync(path, { recursive: true, force: true });
      } catch {
        // removed meanwhile
      }
    }
  }

  async put(oid: string, layout: PartLayout, n: number, body: Readable): Promise<string> {
    if (!Number.isSafeInteger(n) || n < 1 || n > partCount(layout)) throw HubError.notFound();
    this.removeAbandoned();
    const folder = this.folder(oid, layout);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const expected = partLength(layout, n);
    const tmp = join(folder, `${n}.${process.pid}.${Date.now()}.partial`);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        done(
          received > expected ? HubError.badRequest(`Part ${n} is larger than ${expected} bytes`) : null,
          chunk,
        );
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(tmp, { mode: 0o600 }));
      if (received !== expected)
        throw HubError.badRequest(`Part ${n}: expected ${expected} bytes, received ${received}`);
      await rename(tmp, join(folder, String(n)));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return `"${n}-${expected}"`;
  }

  /** All parts in order as one stream; a missing or short part is a 400. */
  async whole(oid: string, layout: PartLayout): Promise<Readable> {
    const folder = this.folder(oid, layout);
    const count = partCount(layout);
    for (let n = 1; n <= count; n++) {
      const size = await stat(join(folder, String(n))).then(
        (s) => s.size,
        () => -1,
      );
      if (size !== partLength(layout, n)) throw HubError.badRequest(`Part ${n} of ${oid} was not uploaded`);
    }
    return Readable.from(
      (async function* () {
        for (let n = 1; n <= count; n++) yield* createReadStream(join(folder, String(n)));
      })(),
    );
  }

  async remove(oid: string, layout: PartLayout): Promise<void> {
    await rm(this.folder(oid, layout), { recursive: true, force: true });
  }

  private folder(oid: string, layout: PartLayout): string {
    return join(this.dir, `${oid}-${layout.size}`);
  }
}
