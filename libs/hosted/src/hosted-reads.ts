import {
  EXPOSED_HEADERS,
  HubError,
  RepoRef,
  repoUrlPrefix,
  ResolveRoute,
  requestedPaths,
} from '@dingo/hub-protocol';
import { FileRecord, ManifestEntry } from '@dingo/metadata-store';
import type { ApiAnswer, ApiRequest, HostedSource } from '@dingo/mirror';
import { treeIds } from './git-objects';
import { HostedRepos, HostedRevision } from './hosted-repos';
import { HostedCommit } from './hosted-store';

/**
 * Reads of hosted repos for the mirror's resolve and API routes, from local storage only: files by
 * branch, tag or commit, and the API answers clients use (info, tree, paths-info, refs, commits).
 */
export class HostedReads implements HostedSource {
  constructor(private readonly repos: HostedRepos) {}

  owns(repo: RepoRef): boolean {
    return this.repos.owns(repo);
  }

  async locate(route: ResolveRoute): Promise<FileRecord> {
    const { repo, commit, files } = await this.repos.revision(route.repo, route.revision);
    const entry = files.get(route.path);
    if (!entry) throw HubError.entryNotFound(commit.id);
    return {
      repoType: repo.repo.type,
      repoId: repo.repo.id,
      commit: commit.id,
      path: entry.path,
      size: entry.size,
      blobId: entry.lfs ? null : entry.blobId,
      sha256: entry.lfs?.sha256 ?? null,
      lfs: Boolean(entry.lfs),
      fetchedAt: Date.now(),
    };
  }

  async answerApi(req: ApiRequest): Promise<ApiAnswer> {
    const route = req.route!;
    const { repo, action } = route;
    switch (action.kind) {
      case 'info':
        return json(this.info(await this.repos.revision(repo, action.revision ?? 'main')));
      case 'tree': {
        const rev = await this.repos.revision(repo, action.revision);
        const recursive = /[?&]recursive=(1|true)(&|$)/i.test(req.url);
        return json(treeListing(rev, action.path, recursive), rev.commit.id);
      }
      case 'paths-info': {
        const rev = await this.repos.revision(repo, action.revision);
        return json(pathsInfo(rev, requestedPaths(req.body, req.contentType)), rev.commit.id);
      }
      case 'other': {
        const [sub, ...rest] = action.rest.split('/');
        if (sub === 'refs' && req.method === 'GET') return json(await this.refs(repo));
        if (sub === 'commits' && req.method === 'GET')
          return json(await this.commits(repo, decodeURIComponent(rest.join('/') || 'main')));
        throw HubError.notFound(`Not Found: ${action.rest.slice(0, 100)} on a hosted repo`);
      }
    }
  }

  private info(rev: HostedRevision): Record<string, unknown> {
    const { repo, commit, files } = rev;
    const id = repo.repo.id;
    return {
      _id: id,
      id,
      ...(repo.repo.type === 'model' && { modelId: id }),
      author: id.split('/')[0],
      sha: commit.id,
      lastModified: new Date(commit.createdAt).toISOString(),
      createdAt: new Date(repo.createdAt).toISOString(),
      private: repo.private,
      gated: false,
      disabled: false,
      downloads: 0,
      likes: 0,
      tags: ['hosted'],
      hosted: true,
      siblings: [...files.values()].map((e) => ({
        rfilename: e.path,
        blobId: e.blobId,
        size: e.size,
        ...(e.lfs && { lfs: e.lfs }),
      })),
      url: `/${repoUrlPrefix(repo.repo.type)}${id}`,
    };
  }

  private async refs(repo: RepoRef): Promise<Record<string, unknown>> {
    await this.repos.get(repo);
    const refs = await this.repos.store.listRefs(repo);
    const of = (prefix: string) =>
      refs
        .filter((r) => r.ref.startsWith(prefix))
        .map((r) => ({ name: r.ref.slice(prefix.length), ref: r.ref, targetCommit: r.commit }));
    return { branches: of('refs/heads/'), tags: of('refs/tags/'), converts: [], pullRequests: [] };
  }

  private async commits(repo: RepoRef, revision: string): Promise<unknown[]> {
    const { commit } = await this.repos.revision(repo, revision);
    const out: unknown[] = [];
    let c: HostedCommit | undefined = commit;
    while (c && out.length < 1000) {
      const [title, ...body] = c.message.split('\n');
      out.push({
        id: c.id,
        title,
        message: body.join('\n').trim(),
        authors: [{ user: c.author }],
        date: new Date(c.createdAt).toISOString(),
      });
      c = c.parents[0] ? await this.repos.store.getCommit(repo, c.parents[0]) : undefined;
    }
    return out;
  }
}

function fileEntry(e: ManifestEntry): Record<string, unknown> {
  return {
    type: 'file',
    oid: e.blobId,
    size: e.size,
    path: e.path,
    ...(e.lfs && { lfs: { oid: e.lfs.sha256, size: e.lfs.size, pointerSize: e.lfs.pointerSize } }),
  };
}

function treeListing(rev: HostedRevision, dir: string, recursive: boolean): unknown[] {
  const trees = treeIds([...rev.files.values()]);
  if (dir && !trees.has(dir)) {
    if (rev.files.has(dir)) return [fileEntry(rev.files.get(dir)!)];
    throw HubError.entryNotFound(rev.commit.id);
  }
  const prefix = dir ? `${dir}/` : '';
  const within = (p: string) => p.startsWith(prefix) && (recursive || !p.slice(prefix.length).includes('/'));
  const dirs = [...trees.keys()]
    .filter((p) => p !== '' && p !== dir && within(p))
    .map((p) => ({ type: 'directory', oid: trees.get(p), size: 0, path: p }));
  const files = [...rev.files.values()].filter((e) => within(e.path)).map(fileEntry);
  return [...dirs, ...files].sort((a, b) => String(a.path).localeCompare(String(b.path)));
}

function pathsInfo(rev: HostedRevision, paths: string[]): unknown[] {
  const trees = treeIds([...rev.files.values()]);
  const out: unknown[] = [];
  for (const p of paths) {
    const file = rev.files.get(p);
    if (file) out.push(fileEntry(file));
    else if (p && trees.has(p)) out.push({ type: 'directory', oid: trees.get(p), size: 0, path: p });
  }
  return out;
}

function json(body: unknown, commit?: string): ApiAnswer {
  return {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'Access-Control-Expose-Headers': EXPOSED_HEADERS,
      'X-Dingo-Cache': 'HOSTED',
      ...(commit && { 'X-Repo-Commit': commit }),
    },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  };
}
