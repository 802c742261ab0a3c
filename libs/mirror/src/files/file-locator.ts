import { Logger } from '@nestjs/common';
import { growingLru } from '@dingo/concurrency';
import {
  encodeFilePath,
  encodeRevision,
  HubError,
  normalizeEtag,
  RepoRef,
  repoUrlPrefix,
  ResolveRoute,
} from '@dingo/hub-protocol';
import { FileRecord, MetadataPort } from '@dingo/metadata-store';
import { blobKeyFor } from '@dingo/chunk-store';
import {
  ChunkSource,
  drain,
  MAX_REDIRECTS,
  UpstreamResponse,
  UpstreamRouter,
  UpstreamUnreachableError,
} from '@dingo/upstream';
import { CachedRepoAccess } from '../access/cached-repo-access';
import { hubErrorFrom, isAccessDenial } from '../upstream-errors';
import { CommitManifests } from './commit-manifests';
import { HostedSlot } from '../hosted/hosted-source';
import { RevisionCache } from './revision-cache';
import { fileFromManifest, LocatedFile, locatedFile } from './located-file';

const SHA256 = /^[0-9a-f]{64}$/;
/** How long a record read from the store is trusted in memory. */
const MEMORY_TTL_MS = 60_000;
const GIT_SHA1 = /^[0-9a-f]{40}$/;

/**
 * Turns `repo@revision:path` into a LocatedFile: branch and tag names are trusted for a short TTL,
 * commits forever; a file of a commit whose file list is known needs no upstream call at all (and
 * a path not in that list is a 404 at once); otherwise one HEAD to upstream's resolve URL answers
 * (commit, size, etag). When upstream is unreachable, whatever is known is served, within the
 * access rules.
 */
export class FileLocator {
  private readonly log = new Logger(FileLocator.name);
  /**
   * A file at a commit never changes: records read or written here are kept (no database trip on a
   * warm request), for a minute at most, since an admin may remove a repo's records on another node.
   */
  private readonly files = growingLru<string, FileRecord>(20_000, { ttl: MEMORY_TTL_MS });

  constructor(
    private readonly meta: MetadataPort,
    private readonly router: UpstreamRouter,
    private readonly access: CachedRepoAccess,
    private readonly manifests: CommitManifests,
    private readonly revisions: RevisionCache,
    private readonly hosted?: HostedSlot,
    /** Sources asked to describe a file of a repo the Hub was never reached for (ModelScope). */
    private readonly sources: ChunkSource[] = [],
  ) {}

  /** `askUpstream`: skip what the mirror knows and ask upstream (offline, fall back on it all the same). */
  async locate(route: ResolveRoute, authorization?: string, askUpstream = false): Promise<LocatedFile> {
    const hosted = this.hosted?.for(route.repo);
    if (hosted) return { ...locatedFile(await hosted.locate(route), 'known'), hosted: true };
    const { repo, revision, path } = route;
    const commit = askUpstream ? undefined : await this.revisions.commitOf(repo, revision, false);
    if (commit) {
      const known = await this.knownAt(repo, commit, path, authorization, false);
      if (known) return known;
    }
    // With an origin hanging, a revision the mirror knew (TTL expired) is served rather than waited on.
    const failFast =
      this.router.hanging && (await this.revisions.commitOf(repo, revision, true)) !== undefined;
    let res: UpstreamResponse;
    try {
      res = await this.headUpstream(repo, revision, path, authorization, failFast);
    } catch (err) {
      if (!(err instanceof UpstreamUnreachableError)) throw err;
      return this.locateOffline(route, authorization, err.message);
    }
    if (res.status >= 500) {
      drain(res.body);
      return this.locateOffline(route, authorization, `upstream answered ${res.status}`);
    }
    if (res.status >= 400) {
      const err = await hubErrorFrom(res);
      if (isAccessDenial(err)) this.access.remember(repo, authorization, err, 'files');
      const missingAt = err.headers['X-Repo-Commit'];
      if (err.code === 'EntryNotFound' && missingAt && GIT_SHA1.test(missingAt))
        this.manifests.learn(repo, missingAt, authorization);
      throw err;
    }
    drain(res.body);
    const file = this.fileFromHead(repo, revision, path, res);
    this.access.remember(repo, authorization, true, 'files');
    if (!authorization) await this.access.learnVisibility(repo, 'public');
    await this.putFile(file);
    await this.revisions.remember(repo, revision, file.commit);
    this.manifests.learn(repo, file.commit, authorization);
    return locatedFile(file, 'upstream');
  }

  /**
   * The file at a commit from what the mirror knows (its own record, or the commit's file list),
   * when the caller may be served from cache; undefined when upstream must be asked. A path the
   * commit's file list lacks is a 404 with the commit, like the Hub's.
   */
  private async knownAt(
    repo: RepoRef,
    commit: string,
    path: string,
    authorization: string | undefined,
    offline: { why: string } | false,
  ): Promise<LocatedFile | undefined> {
    const cached = await this.getFile(repo, commit, path);
    const manifest = cached ? undefined : await this.manifests.get(repo, commit);
    if (!cached && !manifest) return undefined;
    if (!(await this.access.admits(repo, authorization, offline))) return undefined;
    const via = offline ? 'offline' : 'known';
    if (cached) return locatedFile(cached, via);
    const entry = manifest!.get(path);
    if (!entry) throw HubError.entryNotFound(commit);
    const file = fileFromManifest(repo, commit, entry);
    await this.putFile(file);
    return locatedFile(file, via);
  }

  /** Forgets the repo's records kept in memory (an admin removed them from the store). */
  forgetRepo(repo: RepoRef): void {
    const prefix = `${repo.type}/${repo.id}@`;
    for (const key of [...this.files.keys()]) if (key.startsWith(prefix)) this.files.delete(key);
  }

  private async getFile(repo: RepoRef, commit: string, path: string): Promise<FileRecord | undefined> {
    const key = `${repo.type}/${repo.id}@${commit}:${path}`;
    const known = this.files.get(key);
    if (known) return known;
    const record = await this.meta.getFile(repo.type, repo.id, commit, path);
    if (record) this.files.set(key, record);
    return record;
  }

  private async putFile(file: FileRecord): Promise<void> {
    await this.meta.putFile(file);
    this.files.set(`${file.repoType}/${file.repoId}@${file.commit}:${file.path}`, file);
  }

  private async locateOffline(
    route: ResolveRoute,
    authorization: string | undefined,
    why: string,
  ): Promise<LocatedFile> {
    const { repo, revision, path } = route;
    const commit = await this.revisions.commitOf(repo, revision, true);
    const known = commit ? await this.knownAt(repo, commit, path, authorization, { why }) : undefined;
    if (known) return known;
    const described = commit ? undefined : await this.describedElsewhere(route);
    if (!described) throw HubError.upstreamUnavailable(why);
    return described;
  }

  /**
   * A file of the default branch of a repo the Hub was never reached for, as another source
   * lists it (ModelScope): named by that source's sha256 (served as an LFS file: ETag and
   * X-Linked-Etag are the sha256, which the verifier checks the bytes against) and its commit
   * (X-Repo-Commit). Never recorded: the mirror's file records hold only what the Hub said. Not
   * for repos the mirror knows to be gated or private: the Hub's gate stands.
   */
  private async describedElsewhere(route: ResolveRoute): Promise<LocatedFile | undefined> {
    const { repo, revision, path } = route;
    if (revision !== 'main' || !this.sources.some((s) => s.describe)) return undefined;
    const visibility = await this.access.visibility(repo);
    if (visibility === 'gated' || visibility === 'private') return undefined;
    for (const source of this.sources) {
      const described = await source.describe?.(repo, path).catch((err: Error) => {
        this.log.warn(`${source.id} could not describe ${repo.id}/${path}: ${err.message}`);
        return undefined;
      });
      if (!described) continue;
      this.log.warn(`${repo.id}@${revision}:${path} located by ${source.id} (the Hub was never reached)`);
      return {
        repo,
        commit: described.commit,
        path,
        size: described.size,
        lfs: true,
        blobId: null,
        sha256: described.sha256,
        blobKey: blobKeyFor({ sha256: described.sha256 }),
        via: 'offline',
      };
    }
    return undefined;
  }

  /** HEAD on upstream's resolve URL; relative redirects (renamed repos) are followed, CDN ones are not. */
  private async headUpstream(
    repo: RepoRef,
    revision: string,
    path: string,
    authorization: string | undefined,
    failFast: boolean,
  ): Promise<UpstreamResponse> {
    let url = `/${repoUrlPrefix(repo.type)}${repo.id}/resolve/${encodeRevision(revision)}/${encodeFilePath(path)}`;
    for (let hop = 0; ; hop++) {
      const res = await this.router.send({
        method: 'HEAD',
        url,
        headers: { authorization, 'accept-encoding': 'identity' },
        failFast,
      });
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location?.startsWith('/') && !location.startsWith('//')) {
        drain(res.body);
        if (hop >= MAX_REDIRECTS)
          throw HubError.badGateway(`Upstream redirected ${repo.id}/${path} too often`);
        url = location;
        continue;
      }
      return res;
    }
  }

  private fileFromHead(repo: RepoRef, revision: string, path: string, res: UpstreamResponse): FileRecord {
    const h = res.headers;
    const commit = h['x-repo-commit'];
    if (!commit || !GIT_SHA1.test(commit))
      throw HubError.badGateway(`Upstream answered without a valid X-Repo-Commit for ${repo.id}/${path}`);
    const linkedEtag = normalizeEtag(h['x-linked-etag']);
    const etag = normalizeEtag(h['etag']);
    const linkedSize = h['x-linked-size'];
    const lfs = Boolean(linkedEtag && SHA256.test(linkedEtag));
    const size = Number(lfs && linkedSize ? linkedSize : h['content-length']);
    if (!Number.isSafeInteger(size) || size < 0)
      throw HubError.badGateway(`Upstream gave no usable size for ${repo.id}/${path}`);
    if (!lfs && !(etag && GIT_SHA1.test(etag)))
      throw HubError.badGateway(`Upstream gave no content hash for ${repo.id}/${path} (etag ${etag})`);
    this.log.debug(`located ${repo.id}@${revision}:${path} -> ${commit} (${size} bytes, lfs=${lfs})`);
    return {
      repoType: repo.type,
      repoId: repo.id,
      commit,
      path,
      size,
      blobId: lfs ? null : etag!,
      sha256: lfs ? linkedEtag! : null,
      lfs,
      fetchedAt: Date.now(),
    };
  }
}
