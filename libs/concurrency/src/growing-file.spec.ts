import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { GrowingFile } from './growing-file';
import { SingleFlight } from './single-flight';

describe('GrowingFile', () => {
  it('lets readers follow a writer and see every byte', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'grow-')), 'f');
    const fh = await open(path, 'w+');
    const file = new GrowingFile(path, 300_000);
    const whole = file.createReader(0, 299_999);
    const tail = file.createReader(250_000, 299_999);
    const collected = Promise.all([buffer(whole), buffer(tail)]);
    const data = Buffer.alloc(300_000, 7).map((_, i) => i % 251);
    for (let off = 0; off < data.length; off += 70_000) {
      const part = data.subarray(off, off + 70_000);
      await fh.write(part, 0, part.length, off);
      file.advance(part.length);
      await new Promise((r) => setTimeout(r, 2));
    }
    file.finish();
    await fh.close();
    const [a, b] = await collected;
    expect(a.equals(data)).toBe(true);
    expect(b.equals(data.subarray(250_000))).toBe(true);
  });

  it('fails readers when the writer fails', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'grow-')), 'f');
    await (await open(path, 'w')).close();
    const file = new GrowingFile(path, 10);
    const reader = buffer(file.createReader(0, 9));
    file.fail(new Error('upstream reset'));
    await expect(reader).rejects.toThrow('upstream reset');
  });
});

describe('SingleFlight', () => {
  it('shares one run among concurrent callers', async () => {
    const sf = new SingleFlight<number>();
    let runs = 0;
    const work = () => new Promise<number>((r) => setTimeout(() => r(++runs), 5));
    const results = await Promise.all([sf.run('k', work), sf.run('k', work), sf.run('k', work)]);
    expect(results).toEqual([1, 1, 1]);
    expect(await sf.run('k', work)).toBe(2);
  });
});
