import { createHash } from 'node:crypto';
import type { ContentStore } from './content-store';
import type { XetCasStore } from './xet-cas-store';
import { gitBlobSha1, gitCommitSha1, lfsPointerText } from './git-objects';
import { RepoTree } from './repo-tree';
import type { SimCommit, SimFileInfo, SimFileSpec, SimRepo, SimRepoSpec, SimRepoType } from './types';

const LFS_EXTENSIONS = /\.(safetensors|bin|parquet|gguf|onnx|pt)$/i;
const LFS_SIZE_THRESHOLD = 1_000_000;
/** Commit i is dated FIRST_COMMIT_DATE + i hours: stable across runs. */
const FIRST_COMMIT_DATE = Date.UTC(2024, 0, 1);

export interface SimCommitState extends SimCommit {
  tree: RepoTree;
}

/** A repo as the simulator serves it: its commits, refs and card metadata. */
export class SimRepoState implements SimRepo {
  readonly type: SimRepoType;
  readonly id: string;
  readonly private: boolean;
  readonly gated: false | 'auto' | 'manual';
  readonly branches: Map<string, number>;
  readonly tags: Map<string, number>;
  readonly prs: number[];
  /** Stable 24-hex `_id`, like the Hub's Mongo ids. */
  readonly objectId: string;

  constructor(
    readonly spec: SimRepoSpec,
    readonly commits: SimCommitState[],
  ) {
    this.type = spec.type;
    this.id = spec.id;
    this.private = spec.private ?? false;
    this.gated = spec.gated ?? false;
    this.branches = new Map([['main', commits.length - 1], ...Object.entries(spec.branches ?? {})]);
    this.tags = new Map(Object.entries(spec.tags ?? {}));
    this.prs = spec.prs ?? [];
    this.objectId = createHash('sha1').update(`${this.type}/${this.id}`).digest('hex').slice(0, 24);
  }

  get namespace(): string | undefined {
    return this.id.includes('/') ? this.id.split('/')[0] : undefined;
  }

  get head(): SimCommitState {
    return this.commits[this.commits.length - 1];
  }

  /** Branch, tag, refs/pr/N, HEAD (the default branch, as huggingface.js asks for info), full or short sha. */
  resolve(rev: string): SimCommitState | undefined {
    const index = this.branches.get(rev === 'HEAD' ? 'main' : rev) ?? this.tags.get(rev) ?? this.prIndex(rev);
    if (index !== undefined) return this.commits[index];
    if (/^[0-9a-f]{40}$/.test(rev)) return this.commits.find((c) => c.sha === rev);
    if (/^[0-9a-f]{7,39}$/.test(rev)) {
      const hits = this.commits.filter((c) => c.sha.startsWith(rev));
      return hits.length === 1 ? hits[0] : undefined;
    }
    return undefined;
  }

  file(rev: string, path: string): SimFileInfo | undefined {
    return this.resolve(rev)?.files.get(path);
  }

  private prIndex(rev: string): number | undefined {
    const m = /^refs\/pr\/(\d+)$/.exec(rev);
    return m ? this.prs[Number(m[1]) - 1] : undefined;
  }
}

/** Builds every commit of a spec, writing new contents through the store. */
export async function buildRepo(
  spec: SimRepoSpec,
  store: ContentStore,
  xetStore?: XetCasStore,
): Promise<SimRepoState> {
  validateSpec(spec);
  const commits: SimCommitState[] = [];
  const lastChanges: Map<string, number>[] = [];
  const versions = new Map<string, number>();
  for (const [index, commitSpec] of spec.commits.entries()) {
    const parentIndex = commitSpec.parent === undefined ? index - 1 : commitSpec.parent;
    const parent = parentIndex === null ? undefined : commits[parentIndex];
    const files = new Map(parent?.files);
    const lastChange = new Map(parentIndex === null ? undefined : lastChanges[parentIndex]);
    for (const del of commitSpec.deletes ?? []) {
      const clean = del.replace(/\/+$/, '');
      for (const p of [...files.keys()]) {
        if (p === clean || p.startsWith(`${clean}/`)) {
          files.delete(p);
          lastChange.delete(p);
        }
      }
    }
    for (const fileSpec of commitSpec.files) {
      const version = versions.get(fileSpec.path) ?? 0;
      versions.set(fileSpec.path, version + 1);
      const info = await materialize(spec.id, fileSpec, version, store, xetStore);
      if (files.get(fileSpec.path)?.blobId !== info.blobId) lastChange.set(fileSpec.path, index);
      files.set(fileSpec.path, info);
    }
    const tree = new RepoTree(files, lastChange);
    const date = new Date(FIRST_COMMIT_DATE + index * 3_600_000);
    const message =
      commitSpec.message ?? (index === 0 ? 'initial commit' : `Upload ${commitSpec.files.length} files`);
    const sha = gitCommitSha1({
      tree: tree.root.oid,
      parent: parent?.sha,
      author: `HubSimulator <${spec.type}s/${spec.id}@hub-simulator.local>`,
      date,
      message,
    });
    commits.push({ sha, files, index, message, date, tree });
    lastChanges.push(lastChange);
  }
  return new SimRepoState(spec, commits);
}

async function materialize(
  repoId: string,
  spec: SimFileSpec,
  version: number,
  store: ContentStore,
  xetStore?: XetCasStore,
): Promise<SimFileInfo> {
  const stored =
    spec.content !== undefined
      ? await store.explicit(
          typeof spec.content === 'string' ? Buffer.from(spec.content, 'utf8') : spec.content,
        )
      : await store.generated(`${repoId}\0${spec.path}\0${version}`, spec.size ?? 0, spec.texture);
  const lfs = spec.lfs ?? (stored.size >= LFS_SIZE_THRESHOLD || LFS_EXTENSIONS.test(spec.path));
  const base = { path: spec.path, size: stored.size, sha256: stored.sha256, diskPath: stored.diskPath };
  if (!lfs) return { ...base, blobId: stored.gitSha1, lfs: false, xet: false };
  const pointer = lfsPointerText(stored.sha256, stored.size);
  const xet = spec.xet ?? false;
  const xetHash = xet && xetStore ? (await xetStore.ingest(stored.sha256, stored.diskPath)).hash : undefined;
  return {
    ...base,
    blobId: gitBlobSha1(pointer),
    lfs: true,
    pointerSize: Buffer.byteLength(pointer),
    xet,
    ...(xetHash && { xetHash }),
  };
}

function validateSpec(spec: SimRepoSpec): void {
  const fail = (msg: string): never => {
    throw new Error(`HubSimulator: repo ${spec.type}/${spec.id}: ${msg}`);
  };
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(spec.id)) fail('id must be "name" or "namespace/name"');
  if (!spec.commits.length) fail('needs at least one commit');
  for (const [i, c] of spec.commits.entries()) {
    if (
      c.parent !== undefined &&
      c.parent !== null &&
      !(Number.isInteger(c.parent) && c.parent >= 0 && c.parent < i)
    ) {
      fail(`commit ${i}: parent must be an earlier commit index`);
    }
    for (const f of c.files) {
      const parts = f.path.split('/');
      if (parts.some((p) => p === '' || p === '.' || p === '..')) fail(`bad file path "${f.path}"`);
      if (f.size !== undefined && (!Number.isSafeInteger(f.size) || f.size < 0))
        fail(`bad size for ${f.path}`);
    }
  }
  const refs = {
    ...spec.tags,
    ...spec.branches,
    ...Object.fromEntries((spec.prs ?? []).map((v, i) => [i, v])),
  };
  for (const [name, index] of Object.entries(refs)) {
    if (!Number.isInteger(index) || index < 0 || index >= spec.commits.length) {
      fail(`ref ${name} points at commit ${index}, which does not exist`);
    }
  }
}
