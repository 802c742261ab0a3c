import { ApiRoute, EXPOSED_HEADERS, HubError, requestedPaths } from '@dingo/hub-protocol';
import { ManifestEntry } from '@dingo/metadata-store';
import { CachedRepoAccess } from '../access/cached-repo-access';
import { CommitManifests, Manifest } from '../files/commit-manifests';
import { RevisionCache } from '../files/revision-cache';
import type { ApiAnswer } from './api-proxy';

/**
 * API questions the mirror answers from what it knows, without upstream: a tree listing of a
 * path the commit does not have (404, online too: it is a fact about an immutable commit),
 * paths-info of known files while upstream is down, and the Xet token route, which this
 * mirror does not serve (its clients download over HTTP).
 */
export class LocalApiAnswers {
  constructor(
    private readonly revisions: RevisionCache,
    private readonly manifests: CommitManifests,
    private readonly access: CachedRepoAccess,
    private readonly xetMode: 'http' | 'serve',
  ) {}

  async answer(
    route: ApiRoute,
    _body: Buffer | undefined,
    _contentType: string | undefined,
    authorization: string | undefined,
  ): Promise<ApiAnswer | undefined> {
    const { action } = route;
    if (this.xetMode === 'http' && action.kind === 'other' && action.rest.split('/')[0] === 'xet-read-token')
      throw HubError.notFound(
        'This mirror serves files over HTTP only: Xet storage is not available through it',
      );
    if (action.kind !== 'tree' || action.path === '') return undefined;
    const known = await this.manifestFor(route, action.revision, authorization, false);
    if (!known) return undefined;
    const { manifest, commit } = known;
    const prefix = `${action.path}/`;
    const exists = manifest.has(action.path) || [...manifest.keys()].some((p) => p.startsWith(prefix));
    if (!exists) throw HubError.entryNotFound(commit);
    return undefined;
  }

  /** Upstream is down: paths-info of files whose commit's list is known. */
  async answerOffline(
    route: ApiRoute,
    body: Buffer | undefined,
    contentType: string | undefined,
    authorization: string | undefined,
    why: string,
  ): Promise<ApiAnswer | undefined> {
    if (route.action.kind !== 'paths-info') return undefined;
    const known = await this.manifestFor(route, route.action.revision, authorization, { why });
    if (!known) return undefined;
    const { manifest } = known;
    const entries: unknown[] = [];
    for (const path of requestedPaths(body, contentType)) {
      const entry = manifest.get(path);
      if (entry) entries.push(pathInfoEntry(entry));
      // A folder's entry needs its git tree id, which the file list does not give: ask upstream later.
      else if ([...manifest.keys()].some((p) => p.startsWith(`${path}/`))) return undefined;
    }
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'Access-Control-Expose-Headers': EXPOSED_HEADERS,
        'X-Dingo-Cache': 'LOCAL',
      },
      body: Buffer.from(JSON.stringify(entries), 'utf8'),
    };
  }

  private async manifestFor(
    route: ApiRoute,
    revision: string,
    authorization: string | undefined,
    offline: { why: string } | false,
  ): Promise<{ manifest: Manifest; commit: string } | undefined> {
    const commit = await this.revisions.commitOf(route.repo, revision, offline !== false);
    const manifest = commit ? await this.manifests.get(route.repo, commit) : undefined;
    if (!commit || !manifest) return undefined;
    if (!(await this.access.admits(route.repo, authorization, offline, 'metadata'))) return undefined;
    return { manifest, commit };
  }
}

function pathInfoEntry(entry: ManifestEntry): Record<string, unknown> {
  return {
    type: 'file',
    oid: entry.blobId,
    size: entry.size,
    path: entry.path,
    ...(entry.lfs && {
      lfs: { oid: entry.lfs.sha256, size: entry.lfs.size, pointerSize: entry.lfs.pointerSize },
    }),
  };
}
