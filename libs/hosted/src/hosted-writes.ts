import { Readable } from 'node:stream';
import { HubError, RepoRef, repoUrlPrefix } from '@dingo/hub-protocol';
import { ManifestEntry } from '@dingo/metadata-store';
import type { ExpectedBlob } from '@dingo/mirror';
import { EMPTY_TREE, gitBlobId, gitCommitId, lfsPointer, treeIds } from './git-objects';
import { HostedRepos } from './hosted-repos';
import { HostedCommit } from './hosted-store';

/** Where pushed bytes go (the Mirror: its chunk store, sha-checked). */
export interface BlobSink {
  storeBlob(expected: ExpectedBlob, body: Readable): Promise<string>;
  verifiedBlobSize(blobKey: string): Promise<number | undefined>;
  /** The repo's main branch moved or the repo is gone: the catalogue follows (never throws). */
  hostedRepoChanged?(repo: RepoRef, change: 'updated' | 'deleted'): void;
}

/** A commit made: its id, and what it changed (for the audit log). */
export interface CommitOutcome {
  commitOid: string;
  summary: string;
  /** Paths added, replaced or deleted. */
  files: string[];
  /** Bytes of the files added or replaced. */
  bytes: number;
}

/** One NDJSON line of a commit request, as huggingface_hub and @huggingface/hub send it. */
interface CommitLine {
  key?: unknown;
  value?: Record<string, unknown>;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** A regular file travels base64 inside the commit request; bigger ones must go through LFS. */
const MAX_INLINE_FILE = 64 * 1024 * 1024;

/**
 * The Hub's write API over hosted repos: create/delete, settings, commits (NDJSON: header, file,
 * lfsFile, deletedFile, deletedFolder), branches and tags. Commit, tree and blob ids are the ids
 * git computes, so history is stable.
 */
export class HostedWrites {
  constructor(
    private readonly repos: HostedRepos,
    private readonly blobs: BlobSink,
  ) {}

  /** `files`: base64 files the first commit adds (@huggingface/hub's createRepo may send them). */
  async create(
    repo: RepoRef,
    opts: { private: boolean; by: string | null; files?: unknown[] },
  ): Promise<void> {
    this.repos.assertLocal(repo);
    const now = Date.now();
    const first = this.commitObject([], 'initial commit', opts.by ?? 'dingospeed', now);
    await this.repos.keepFiles(repo, first.id, []);
    const created = await this.repos.store.createRepo(
      { repo, private: opts.private, createdBy: opts.by, createdAt: now },
      first,
    );
    if (!created) throw HubError.conflict('You already created this model repo');
    if (opts.files?.length) {
      const lines = [
        { key: 'header', value: { summary: 'initial files' } },
        ...opts.files.map((value) => ({ key: 'file', value })),
      ];
      await this.commit(repo, 'main', asAsync(lines.map((l) => JSON.stringify(l))), opts.by ?? 'anonymous');
    }
  }

  async delete(repo: RepoRef): Promise<void> {
    this.repos.assertLocal(repo);
    if (!(await this.repos.store.deleteRepo(repo))) throw HubError.repoNotFound(true);
    this.blobs.hostedRepoChanged?.(repo, 'deleted');
  }

  async setPrivate(repo: RepoRef, isPrivate: boolean): Promise<void> {
    await this.repos.get(repo);
    await this.repos.store.setPrivate(repo, isPrivate);
  }

  /** Applies a commit request's lines to `branch`; answers the new commit id. */
  async commit(
    repo: RepoRef,
    branch: string,
    lines: AsyncIterable<string>,
    author: string,
  ): Promise<CommitOutcome> {
    this.repos.assertLocal(repo);
    await this.repos.get(repo);
    const ref = `refs/heads/${branch.replace(/^refs\/heads\//, '')}`;
    const head = await this.repos.store.getRef(repo, ref);
    if (!head) throw HubError.revisionNotFound(branch);
    const files = await this.repos.files(repo, head);
    let header: Record<string, unknown> | undefined;
    const changed = { files: [] as string[], bytes: 0 };
    for await (const text of lines) {
      if (!text.trim()) continue;
      const line = parseLine(text);
      if (!header) {
        if (line.key !== 'header') throw HubError.badRequest('The first line of a commit must be its header');
        header = line.value ?? {};
        if (typeof header.parentCommit === 'string' && header.parentCommit !== head)
          throw HubError.preconditionFailed('A commit has happened since. Please refresh and try again.');
        continue;
      }
      const entry = await this.apply(line, files);
      changed.files.push(String(line.value?.path ?? ''));
      changed.bytes += entry?.size ?? 0;
    }
    if (!header) throw HubError.badRequest('Empty commit request');
    const summary = typeof header.summary === 'string' && header.summary ? header.summary : 'Upload files';
    const description = typeof header.description === 'string' ? header.description : '';
    const message = description ? `${summary}\n\n${description}` : summary;
    const entries = [...files.values()];
    const commit = this.commitObject(entries, message, author, Date.now(), [head]);
    await this.repos.keepFiles(repo, commit.id, entries);
    if (!(await this.repos.store.advanceRef(repo, ref, head, commit)))
      throw HubError.preconditionFailed('A commit has happened since. Please refresh and try again.');
    if (ref === 'refs/heads/main') this.blobs.hostedRepoChanged?.(repo, 'updated');
    return { commitOid: commit.id, summary, ...changed };
  }

  async createRef(
    repo: RepoRef,
    kind: 'heads' | 'tags',
    name: string,
    revision: string | undefined,
  ): Promise<void> {
    this.repos.assertLocal(repo);
    await this.repos.get(repo);
    const commit = await this.repos.commitOf(repo, revision ?? 'main');
    if (!commit || !(await this.repos.store.getCommit(repo, commit)))
      throw HubError.revisionNotFound(revision ?? 'main');
    if (!(await this.repos.store.advanceRef(repo, `refs/${kind}/${name}`, undefined, commit)))
      throw HubError.conflict(`Reference refs/${kind}/${name} already exists`);
  }

  async deleteRef(repo: RepoRef, kind: 'heads' | 'tags', name: string): Promise<void> {
    this.repos.assertLocal(repo);
    await this.repos.get(repo);
    if (kind === 'heads' && name === 'main') throw HubError.forbidden('The main branch cannot be deleted');
    if (!(await this.repos.store.deleteRef(repo, `refs/${kind}/${name}`)))
      throw HubError.revisionNotFound(name);
  }

  commitUrl(base: string, repo: RepoRef, commit: string): string {
    return `${base}/${repoUrlPrefix(repo.type)}${repo.id}/commit/${commit}`;
  }

  /** Applies one operation; answers the file it added (for the audit's bytes). */
  private async apply(
    line: CommitLine,
    files: Map<string, ManifestEntry>,
  ): Promise<ManifestEntry | undefined> {
    const v = line.value ?? {};
    const path = typeof v.path === 'string' ? v.path.replace(/^\/+/, '') : '';
    if (!path || path.split('/').some((s) => s === '' || s === '.' || s === '..' || s === '.git'))
      throw HubError.badRequest(`Invalid path in commit: ${JSON.stringify(v.path)}`);
    switch (line.key) {
      case 'file': {
        if (v.encoding !== 'base64' || typeof v.content !== 'string')
          throw HubError.badRequest(`File ${path}: content must be base64`);
        if (v.content.length > (MAX_INLINE_FILE * 4) / 3 + 4)
          throw HubError.badRequest(`File ${path} is too large for a regular file: upload it with LFS`);
        const content = Buffer.from(v.content, 'base64');
        const blobId = gitBlobId(content);
        await this.blobs.storeBlob({ size: content.length, gitBlobId: blobId }, Readable.from([content]));
        const entry = { path, size: content.length, blobId };
        files.set(path, entry);
        return entry;
      }
      case 'lfsFile': {
        const oid = typeof v.oid === 'string' ? v.oid.toLowerCase() : '';
        if (!SHA256.test(oid) || (v.algo !== undefined && v.algo !== 'sha256'))
          throw HubError.badRequest(`LFS file ${path}: oid must be a sha256`);
        const size = await this.lfsSize(oid, v.size);
        const pointer = lfsPointer(oid, size);
        const entry = {
          path,
          size,
          blobId: gitBlobId(pointer),
          lfs: { sha256: oid, size, pointerSize: pointer.length },
        };
        files.set(path, entry);
        return entry;
      }
      case 'deletedFile':
        if (!files.delete(path)) throw HubError.entryNotFound();
        return;
      case 'deletedFolder': {
        let any = false;
        for (const p of [...files.keys()]) if (p.startsWith(`${path}/`)) any = files.delete(p) || any;
        if (!any) throw HubError.entryNotFound();
        return;
      }
      default:
        throw HubError.badRequest(`Unknown commit operation ${JSON.stringify(line.key)}`);
    }
  }

  /** An LFS file may be committed only once its object is stored and verified, with the size it has. */
  private async lfsSize(oid: string, size: unknown): Promise<number> {
    const stored = await this.blobs.verifiedBlobSize(`sha256-${oid}`);
    if (stored === undefined)
      throw HubError.badRequest(
        `LFS object ${oid} was not uploaded: upload it through the LFS batch API first`,
      );
    if (size !== undefined && size !== stored)
      throw HubError.badRequest(
        `LFS file ${oid}: size ${String(size)} does not match the uploaded ${stored} bytes`,
      );
    return stored;
  }

  private commitObject(
    entries: ManifestEntry[],
    message: string,
    author: string,
    date: number,
    parents: string[] = [],
  ): HostedCommit {
    const tree = entries.length ? treeIds(entries).get('')! : EMPTY_TREE;
    const c = { tree, parents, author, date, message };
    return { id: gitCommitId(c), tree, parents, author, message, createdAt: date };
  }
}

function parseLine(text: string): CommitLine {
  try {
    const line = JSON.parse(text) as CommitLine;
    if (typeof line === 'object' && line !== null) return line;
  } catch {
    /* answered below */
  }
  throw HubError.badRequest('Invalid commit request: each line must be a JSON object');
}

async function* asAsync<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}
