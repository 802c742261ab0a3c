import { Logger } from '@nestjs/common';
import { blobKeyFor } from '@dingo/chunk-store';
import {
  encodeFilePath,
  encodeRevision,
  HubError,
  isCommitHash,
  normalizeEtag,
  RepoRef,
  repoUrlPrefix,
  ResolveRoute,
} from '@dingo/hub-protocol';
import { FileRecord, MetadataPort } from '@dingo/metadata-store';
import { drain, UpstreamResponse, UpstreamRouter, UpstreamUnreachableError } from '@dingo/upstream';
import { AccessVerdicts } from './access-verdicts';
import { LocatedFile } from './located-file';
import { hubErrorFrom, isAccessDenial } from './upstream-errors';

const SHA256 = /^[0-9a-f]{64}$/;
const GIT_SHA1 = /^[0-9a-f]{40}$/;

/**
 * Turns `repo@revision:path` into a LocatedFile: branch and tag names are trusted for a short TTL,
 * commits forever; otherwise one HEAD to upstream's resolve URL answers (commit, size, etag). When
 * upstream is unreachable, whatever is cached is served, within the access rules.
 */
export class FileLocator {
  private readonly log = new Logger(FileLocator.name);

  constructor(
    private readonly meta: MetadataPort,
    private readonly router: UpstreamRouter,
    private readonly access: AccessVerdicts,
    private readonly revisionTtlMs: number,
  ) {}

  async locate(route: ResolveRoute, authorization?: string): Promise<LocatedFile> {
    const { repo, revision, path } = route;
    const commit = await this.cachedCommit(repo, revision, false);
    const cached = commit ? await this.meta.getFile(repo.type, repo.id, commit, path) : undefined;
    if (cached) {
      const access = await this.access.forCached(repo, authorization, false);
      if (access.kind === 'allow') return toLocated(cached);
      if (access.kind === 'deny') throw access.error;
    }
    let res: UpstreamResponse;
    try {
      res = await this.headUpstream(repo, revision, path, authorization);
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
      if (isAccessDenial(err)) this.access.remember(repo, authorization, err);
      throw err;
    }
    drain(res.body);
    const file = this.fileFromHead(repo, revision, path, res);
    this.access.remember(repo, authorization, true);
    if (!authorization) await this.access.learnVisibility(repo, 'public');
    await this.meta.putFile(file);
    if (!isCommitHash(revision)) {
      await this.meta.putRevision({
        repoType: repo.type,
        repoId: repo.id,
        revision,
        commit: file.commit,
        fetchedAt: Date.now(),
      });
    }
    return toLocated(file);
  }

  private async cachedCommit(
    repo: RepoRef,
    revision: string,
    allowStale: boolean,
  ): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    const rec = await this.meta.getRevision(repo.type, repo.id, revision);
    if (!rec) return undefined;
    return allowStale || Date.now() - rec.fetchedAt < this.revisionTtlMs ? rec.commit : undefined;
  }

  private async locateOffline(
    route: ResolveRoute,
    authorization: string | undefined,
    why: string,
  ): Promise<LocatedFile> {
    const { repo, revision, path } = route;
    const commit = await this.cachedCommit(repo, revision, true);
    const cached = commit ? await this.meta.getFile(repo.type, repo.id, commit, path) : undefined;
    if (!cached) throw HubError.upstreamUnavailable(why);
    const access = await this.access.forCached(repo, authorization, true);
    if (access.kind === 'allow') return toLocated(cached);
    if (access.kind === 'deny') throw access.error;
    throw new HubError(
      503,
      'UpstreamUnavailable',
      `Cannot check access to ${repo.id} while the upstream hub is unreachable (${why})`,
    );
  }

  /** HEAD on upstream's resolve URL; relative redirects (renamed repos) are followed, CDN ones are not. */
  private async headUpstream(
    repo: RepoRef,
    revision: string,
    path: string,
    authorization?: string,
  ): Promise<UpstreamResponse> {
    let url = `/${repoUrlPrefix(repo.type)}${repo.id}/resolve/${encodeRevision(revision)}/${encodeFilePath(path)}`;
    for (let hop = 0; ; hop++) {
      const res = await this.router.send({
        method: 'HEAD',
        url,
        headers: { authorization, 'accept-encoding': 'identity' },
      });
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location?.startsWith('/') && hop < 5) {
        drain(res.body);
        url = location;
        continue;
      }
      return res;
    }
  }

  private fileFromHead(repo: RepoRef, revision: string, path: string, res: UpstreamResponse): FileRecord {
    const h = res.headers;
    const commit = h['x-repo-commit'];
    if (!commit || !GIT_SHA1.test(commit)) {
      throw new HubError(
        502,
        'UpstreamUnavailable',
        `Upstream answered without a valid X-Repo-Commit for ${repo.id}/${path}`,
      );
    }
    const linkedEtag = normalizeEtag(h['x-linked-etag']);
    const etag = normalizeEtag(h['etag']);
    const linkedSize = h['x-linked-size'];
    const lfs = Boolean(linkedEtag && SHA256.test(linkedEtag));
    const size = Number(lfs && linkedSize ? linkedSize : h['content-length']);
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new HubError(502, 'UpstreamUnavailable', `Upstream gave no usable size for ${repo.id}/${path}`);
    }
    if (!lfs && !(etag && GIT_SHA1.test(etag))) {
      throw new HubError(
        502,
        'UpstreamUnavailable',
        `Upstream gave no content hash for ${repo.id}/${path} (etag ${etag})`,
      );
    }
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

function toLocated(file: FileRecord): LocatedFile {
  return {
    repo: { type: file.repoType, id: file.repoId },
    commit: file.commit,
    path: file.path,
    size: file.size,
    lfs: file.lfs,
    blobId: file.blobId,
    sha256: file.sha256,
    blobKey: blobKeyFor({ sha256: file.sha256, gitBlobId: file.blobId }),
  };
}
