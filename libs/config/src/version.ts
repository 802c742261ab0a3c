import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The DingoSpeed release this process runs: the root package.json's version (from sources or a build). */
export const DINGO_VERSION: string = findVersion(__dirname);

function findVersion(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'dingospeed' && pkg.version) return pkg.version;
  }
  return 'unknown';
}
