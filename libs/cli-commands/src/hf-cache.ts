import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';

export type RepoType = 'model' | 'dataset' | 'space';

/**
 * The Hugging Face cache layout huggingface_hub and transformers read offline:
 * `{cache}/{type}s--{org}--{name}/blobs/{etag}`, `snapshots/{commit}/{path}` (relative symlinks to
 * the blob), `refs/{revision}` (the commit a branch or tag pointed at).
 */
export class HfCacheRepo {
  readonly dir: string;

  constructor(
    cacheDir: string,
    readonly type: RepoType,
    readonly id: string,
  ) {
    this.dir = join(cacheDir, repoFolderName(type, id));
  }

  blobPath(etag: string): string {
    return join(this.dir, 'blobs', etag);
  }

  snapshotPath(commit: string, path: string): string {
    return join(this.dir, 'snapshots', commit, ...path.split('/'));
  }

  /** Points `snapshots/{commit}/{path}` at the blob (replacing what was there). */
  link(commit: string, path: string, etag: string): void {
    const at = this.snapshotPath(commit, path);
    mkdirSync(dirname(at), { recursive: true });
    if (existsSync(at) || isSymlink(at)) unlinkSync(at);
    symlinkSync(relative(dirname(at), this.blobPath(etag)), at);
  }

  /** `refs/{revision}` holds the commit (not for a revision that is the commit itself). */
  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const at = join(this.dir, 'refs', ...revision.split('/'));
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, commit);
  }

  remove(): boolean {
    if (!existsSync(this.dir)) return false;
    rmSync(this.dir, { recursive: true, force: true });
    return true;
  }
}

export function repoFolderName(type: RepoType, id: string): string {
  return `${type}s--${id.split('/').join('--')}`;
}

export interface CachedRepoSummary {
  type: RepoType;
  id: string;
  bytes: number;
  files: number;
  revisions: string[];
  dir: string;
}

/** The repos in a local Hugging Face cache, with their size on disk (blobs) and refs. */
export function scanHfCache(cacheDir: string): CachedRepoSummary[] {
  if (!existsSync(cacheDir)) return [];
  const out: CachedRepoSummary[] = [];
  for (const name of readdirSync(cacheDir).sort()) {
    const m = /^(model|dataset|space)s--(.+)$/.exec(name);
    if (!m) continue;
    const dir = join(cacheDir, name);
    const blobsDir = join(dir, 'blobs');
    let bytes = 0;
    let files = 0;
    if (existsSync(blobsDir))
      for (const blob of readdirSync(blobsDir)) {
        if (blob.includes('.')) continue; // partial downloads
        bytes += statSync(join(blobsDir, blob)).size;
        files++;
      }
    out.push({
      type: m[1] as RepoType,
      id: m[2].split('--').join('/'),
      bytes,
      files,
      revisions: refsOf(join(dir, 'refs')),
      dir,
    });
  }
  return out;
}

function refsOf(refsDir: string, prefix = ''): string[] {
  if (!existsSync(refsDir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(refsDir, { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...refsOf(join(refsDir, entry.name), name));
    else out.push(`${name}@${readFileSync(join(refsDir, entry.name), 'utf8').trim().slice(0, 12)}`);
  }
  return out.sort();
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
