import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MultipartParts, partCount, partLength } from './multipart-parts';

describe('MultipartParts', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'parts-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const oid = 'a'.repeat(64);
  const layout = { size: 25, partSize: 10 };
  const collect = async (r: Readable) => {
    const out: Buffer[] = [];
    for await (const b of r) out.push(b as Buffer);
    return Buffer.concat(out);
  };

  it('lays out parts, takes them out of order and gives back the whole in order', async () => {
    expect(partCount(layout)).toBe(3);
    expect([1, 2, 3].map((n) => partLength(layout, n))).toEqual([10, 10, 5]);
    const whole = randomBytes(25);
    const parts = new MultipartParts(dir);
    for (const n of [3, 1, 2]) {
      const etag = await parts.put(oid, layout, n, Readable.from([whole.subarray((n - 1) * 10, n * 10)]));
      expect(etag).toMatch(/^".+"$/);
    }
    expect((await collect(await parts.whole(oid, layout))).equals(whole)).toBe(true);
    await parts.remove(oid, layout);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a part of the wrong length, an unknown part number, and a missing part at completion', async () => {
    const parts = new MultipartParts(dir);
    await expect(parts.put(oid, layout, 1, Readable.from([randomBytes(11)]))).rejects.toMatchObject({
      status: 400,
    });
    await expect(parts.put(oid, layout, 3, Readable.from([randomBytes(4)]))).rejects.toMatchObject({
      status: 400,
    });
    await expect(parts.put(oid, layout, 4, Readable.from([randomBytes(1)]))).rejects.toMatchObject({
      status: 404,
    });
    await parts.put(oid, layout, 1, Readable.from([randomBytes(10)]));
    await expect(parts.whole(oid, layout)).rejects.toMatchObject({ status: 400 });
    expect(readdirSync(join(dir, `${oid}-25`))).toEqual(['1']); // no partial files left
  });

  it('removes the parts of abandoned uploads', () => {
    const old = join(dir, `${'b'.repeat(64)}-9`);
    mkdirSync(old);
    const past = new Date(Date.now() - 3 * 3600_000);
    utimesSync(old, past, past);
    new MultipartParts(dir);
    expect(existsSync(old)).toBe(false);
  });
});
