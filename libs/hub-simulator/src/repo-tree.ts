import { compareGitNames, gitTreeSha1 } from './git-objects';
import type { SimFileInfo } from './types';

/** A file or folder of one commit's tree, with its git oid and the commit that last changed it. */
export interface TreeNode {
  kind: 'file' | 'directory';
  name: string;
  /** '' for the root. */
  path: string;
  oid: string;
  /** Index of the last commit (<= this one) that changed this entry or anything below it. */
  lastChange: number;
  file?: SimFileInfo;
  /** Directories only, in git order. */
  children?: TreeNode[];
}

/** The folder structure of one commit, built once. */
export class RepoTree {
  readonly root: TreeNode;
  private readonly byPath = new Map<string, TreeNode>();

  constructor(files: Map<string, SimFileInfo>, lastChange: Map<string, number>) {
    interface Draft {
      node: TreeNode;
      kids: Map<string, Draft>;
    }
    const mk = (kind: TreeNode['kind'], name: string, path: string): Draft => ({
      node: { kind, name, path, oid: '', lastChange: 0 },
      kids: new Map(),
    });
    const rootDraft = mk('directory', '', '');
    for (const [path, file] of files) {
      const parts = path.split('/');
      let dir = rootDraft;
      for (let i = 0; i < parts.length - 1; i++) {
        let next = dir.kids.get(parts[i]);
        if (!next) {
          next = mk('directory', parts[i], parts.slice(0, i + 1).join('/'));
          dir.kids.set(parts[i], next);
        }
        dir = next;
      }
      const leaf = mk('file', parts[parts.length - 1], path);
      leaf.node.file = file;
      leaf.node.oid = file.blobId;
      leaf.node.lastChange = lastChange.get(path) ?? 0;
      dir.kids.set(leaf.node.name, leaf);
    }
    const finish = (d: Draft): TreeNode => {
      this.byPath.set(d.node.path, d.node);
      if (d.node.kind === 'file') return d.node;
      const children = [...d.kids.values()].map(finish).sort(compareGitNames);
      d.node.children = children;
      d.node.oid = gitTreeSha1(children.map((c) => ({ name: c.name, kind: c.kind, oid: c.oid })));
      d.node.lastChange = children.reduce((m, c) => Math.max(m, c.lastChange), 0);
      return d.node;
    };
    this.root = finish(rootDraft);
  }

  get(path: string): TreeNode | undefined {
    return this.byPath.get(path.replace(/\/+$/, ''));
  }

  /** Children of a folder, or (recursive) all entries below it in pre-order, like the Hub's tree API. */
  list(dir: TreeNode, recursive: boolean): TreeNode[] {
    const out: TreeNode[] = [];
    const walk = (d: TreeNode) => {
      for (const c of d.children ?? []) {
        out.push(c);
        if (recursive && c.kind === 'directory') walk(c);
      }
    };
    walk(dir);
    return out;
  }
}
