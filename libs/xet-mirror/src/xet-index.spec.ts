import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteXetIndex } from './sqlite-xet-index';
import { xetIndexContract } from './xet-index.contract';
import { MemoryXetIndex } from './xet-index';

xetIndexContract('MemoryXetIndex', async () => ({ index: new MemoryXetIndex() }));
xetIndexContract('SqliteXetIndex', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dingo-xetidx-'));
  return {
    index: new SqliteXetIndex(join(dir, 'xet.sqlite')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});
