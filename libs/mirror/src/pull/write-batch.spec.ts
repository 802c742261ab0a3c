import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteBatch } from './write-batch';

describe('WriteBatch', () => {
  it('holds parts until enough for one write, then writes them in order at the position given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'write-batch-'));
    const path = join(dir, 'staging');
    const fd = openSync(path, 'w+');
    try {
      const batch = new WriteBatch(fd, 8);
      expect(batch.add(Buffer.from('abc'))).toBe(false);
      expect(batch.add(Buffer.from('defgh'))).toBe(true);
      expect(await batch.flush(0)).toBe(8);
      expect(batch.bytes).toBe(0);
      batch.add(Buffer.from('ij'));
      expect(await batch.flush(8)).toBe(2);
      expect(await batch.flush(10)).toBe(0);
      expect(readFileSync(path, 'utf8')).toBe('abcdefghij');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
