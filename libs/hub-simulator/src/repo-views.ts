import type { TreeNode } from './repo-tree';
import type { SimCommitState, SimRepoState } from './sim-repo';
import type { SimTokenGrant } from './types';

// JSON shapes of the Hub's API, field order as the Hub sends them.

export function repoInfoJson(
  repo: SimRepoState,
  commit: SimCommitState,
  blobs: boolean,
): Record<string, unknown> {
  const siblings = commit.tree
    .list(commit.tree.root, true)
    .filter((n) => n.kind === 'file')
    .map((n) => siblingJson(n, blobs));
  const common = {
    _id: repo.objectId,
    id: repo.id,
    author: repo.namespace ?? repo.id,
    sha: commit.sha,
    lastModified: commit.date.toISOString(),
    private: repo.private,
    gated: repo.gated,
    disabled: false,
  };
  const spec = repo.spec;
  const tail = {
    siblings,
    createdAt: repo.commits[0].date.toISOString(),
    usedStorage: usedStorage(repo),
  };
  if (repo.type === 'model') {
    return {
      ...common,
      pipeline_tag: spec.pipelineTag,
      library_name: spec.libraryName,
      tags: spec.repoTags ?? [],
      downloads: 0,
      likes: 0,
      modelId: repo.id,
      cardData: spec.cardData,
      spaces: [],
      ...tail,
    };
  }
  if (repo.type === 'dataset') {
    return { ...common, tags: spec.repoTags ?? [], downloads: 0, likes: 0, cardData: spec.cardData, ...tail };
  }
  return {
    ...common,
    subdomain: repo.id.replace(/[/_.]/g, '-').toLowerCase(),
    likes: 0,
    sdk: spec.sdk ?? 'gradio',
    tags: spec.repoTags ?? [],
    cardData: spec.cardData,
    runtime: { stage: 'RUNNING', hardware: { current: 'cpu-basic', requested: 'cpu-basic' } },
    ...tail,
  };
}

function siblingJson(node: TreeNode, blobs: boolean): Record<string, unknown> {
  const file = node.file!;
  if (!blobs) return { rfilename: file.path };
  return {
    rfilename: file.path,
    blobId: file.blobId,
    size: file.size,
    ...(file.lfs && { lfs: { sha256: file.sha256, size: file.size, pointerSize: file.pointerSize } }),
  };
}

function usedStorage(repo: SimRepoState): number {
  const sizes = new Map<string, number>();
  for (const c of repo.commits) for (const f of c.files.values()) sizes.set(f.sha256, f.size);
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

/** One entry of `GET /api/models` etc. */
export function repoListItemJson(repo: SimRepoState, full: boolean): Record<string, unknown> {
  const spec = repo.spec;
  const head = repo.head;
  const extra = full
    ? {
        sha: head.sha,
        lastModified: head.date.toISOString(),
        siblings: [...head.files.keys()].sort().map((rfilename) => ({ rfilename })),
      }
    : {};
  const base = { _id: repo.objectId, id: repo.id, likes: 0, trendingScore: 0, private: repo.private };
  const createdAt = repo.commits[0].date.toISOString();
  if (repo.type === 'model') {
    return {
      ...base,
      downloads: 0,
      tags: spec.repoTags ?? [],
      ...(spec.pipelineTag && { pipeline_tag: spec.pipelineTag }),
      ...(spec.libraryName && { library_name: spec.libraryName }),
      createdAt,
      modelId: repo.id,
      ...extra,
    };
  }
  if (repo.type === 'dataset') {
    return {
      ...base,
      author: repo.namespace ?? repo.id,
      gated: repo.gated,
      disabled: false,
      downloads: 0,
      tags: spec.repoTags ?? [],
      createdAt,
      ...extra,
    };
  }
  return { ...base, sdk: spec.sdk ?? 'gradio', tags: spec.repoTags ?? [], createdAt, ...extra };
}

/** One entry of the tree and paths-info APIs. */
export function treeEntryJson(repo: SimRepoState, node: TreeNode, expand: boolean): Record<string, unknown> {
  const file = node.file;
  const entry: Record<string, unknown> = {
    type: node.kind,
    oid: node.oid,
    size: file ? file.size : 0,
    path: node.path,
  };
  if (file?.lfs) entry.lfs = { oid: file.sha256, size: file.size, pointerSize: file.pointerSize };
  if (file?.xetHash) entry.xetHash = file.xetHash;
  if (expand) {
    const last = repo.commits[node.lastChange];
    entry.lastCommit = { id: last.sha, title: last.message, date: last.date.toISOString() };
    // huggingface_hub's RepoFile reads avScan and pickleImportScan unconditionally (KeyError without them).
    if (file) {
      entry.securityFileStatus = {
        status: 'safe',
        avScan: { status: 'safe' },
        pickleImportScan: { status: 'unscanned', pickleImports: [] },
      };
    }
  }
  return entry;
}

export function whoamiJson(grant: SimTokenGrant): Record<string, unknown> {
  return {
    type: 'user',
    id: grant.user,
    name: grant.user,
    fullname: grant.user,
    email: `${grant.user}@hub-simulator.local`,
    emailVerified: true,
    canPay: false,
    isPro: false,
    periodEnd: null,
    avatarUrl: '',
    orgs: (grant.orgs ?? []).map((name) => ({
      type: 'org',
      id: name,
      name,
      fullname: name,
      roleInOrg: 'read',
    })),
    auth: { type: 'access_token', accessToken: { displayName: 'hub-simulator', role: 'read' } },
  };
}
