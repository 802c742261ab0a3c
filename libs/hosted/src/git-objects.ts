import { createHash } from 'node:crypto';
import { ManifestEntry } from '@dingo/metadata-store';

// Real git object ids: blob ids of files and LFS pointers, tree and commit ids, as git computes them.

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
}

interface TreeNode {
  files: Map<string, string>;
  dirs: Map<string, TreeNode>;
}

/** The id of every directory of a commit (`''` is the root), from its file list. */
export function treeIds(entries: readonly ManifestEntry[]): Map<string, string> {
  const root: TreeNode = { files: new Map(), dirs: new Map() };
  for (const e of entries) {
    const parts = e.path.split('/');
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir);
      if (!next) node.dirs.set(dir, (next = { files: new Map(), dirs: new Map() }));
      node = next;
    }
    node.files.set(parts.at(-1)!, e.blobId);
  }
  const ids = new Map<string, string>();
  const hash = (node: TreeNode, path: string): string => {
    const items = [
      ...[...node.files].map(([name, oid]) => ({ key: name, head: `100644 ${name}\0`, oid })),
      ...[...node.dirs].map(([name, child]) => ({
        key: `${name}/`,
        head: `40000 ${name}\0`,
        oid: hash(child, path ? `${path}/${name}` : name),
      })),
    ].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    const body = Buffer.concat(items.flatMap((i) => [Buffer.from(i.head), Buffer.from(i.oid, 'hex')]));
    const id = createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
    ids.set(path, id);
    return id;
  };
  hash(root, '');
  return ids;
}

export interface CommitObject {
  tree: string;
  parents: string[];
  author: string;
  /** Epoch ms. */
  date: number;
  message: string;
}

export function gitCommitId(c: CommitObject): string {
  const who = `${c.author} <${c.author}@users.noreply.dingospeed> ${Math.floor(c.date / 1000)} +0000`;
  const text =
    `tree ${c.tree}\n` +
    c.parents.map((p) => `parent ${p}\n`).join('') +
    `author ${who}\ncommitter ${who}\n\n${c.message}\n`;
  const buf = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`commit ${buf.length}\0`).update(buf).digest('hex');
}
