import { createHash } from 'node:crypto';
import { SingleFlight } from '@dingo/concurrency';
import { ApiRoute, EXPOSED_HEADERS, HubError, isCommitHash, RepoRef, repoKey } from '@dingo/hub-protocol';
import { ApiCacheRecord, MetadataPort } from '@dingo/metadata-store';
import { readSmallBody, UpstreamRouter, UpstreamUnreachableError } from '@dingo/upstream';
import { CachedRepoAccess } from '../access/cached-repo-access';
import { CommitManifests } from '../files/commit-manifests';
import { RevisionCache } from '../files/revision-cache';
import { HostedSlot } from '../hosted/hosted-source';
import { hubErrorFrom, isAccessDenial } from '../upstream-errors';
import { canonicalApiUrl } from './api-query';
import { LocalApiAnswers } from './local-api-answers';
import { originFreeLinks, withPublicBase } from './public-links';
import { withoutXetHashes } from './xet-fields';

export interface ApiRequest {
  method: 'GET' | 'POST';
  /** Path and query as the client sent them (`/api/models/x/tree/main?recursive=1`). */
  url: string;
  route?: ApiRoute;
  authorization?: string;
  body?: Buffer;
  contentType?: string;
  /** Base URL clients reach this mirror at; `Link`/`Location` URLs are rewritten onto it per response. */
  publicBase: string;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const KEPT_HEADERS = [
  'content-type',
  'etag',
  'link',
  'location',
  'x-total-count',
  'x-repo-commit',
  'x-error-code',
  'x-error-message',
];

/** API answers are JSON; a bigger one is refused rather than held in memory. */
const MAX_API_BODY = 64 * 1024 * 1024;

/**
 * Hub API passthrough with a cache: answers for a commit are kept forever, others for the revision
 * TTL, and any cached answer is served (stale) while upstream is unreachable. Repo answers are
 * shared across callers only within the access rules; list and whoami answers are per caller.
 * Cache entries hold only what upstream said (links made origin-free); per-response values such
 * as the mirror's public URL are put in on the way out.
 */
export class ApiProxy {
  private readonly refreshes = new SingleFlight<ApiAnswer>();

  constructor(
    private readonly meta: MetadataPort,
    private readonly router: UpstreamRouter,
    private readonly access: CachedRepoAccess,
    private readonly manifests: CommitManifests,
    private readonly local: LocalApiAnswers,
    private readonly revisions: RevisionCache,
    private readonly options: { ttlMs: number; xetMode: 'http' | 'serve' },
    private readonly hosted?: HostedSlot,
  ) {}

  async handle(req: ApiRequest): Promise<ApiAnswer> {
    const answer = await this.answer(req);
    return { ...answer, headers: withPublicBase(answer.headers, req.publicBase) };
  }

  private async answer(req: ApiRequest): Promise<ApiAnswer> {
    const repo = req.route?.repo;
    const hosted = repo && this.hosted?.for(repo);
    if (hosted) return hosted.answerApi(req);
    const known =
      req.route && (await this.local.answer(req.route, req.body, req.contentType, req.authorization));
    if (known) return known;
    const url = canonicalApiUrl(req.url);
    const cacheable = req.method === 'GET' || req.route?.action.kind === 'paths-info';
    const key = this.cacheKey(req, url);
    const cached = cacheable ? await this.meta.getApiCache(key) : undefined;
    const fresh = cached && (cached.immutable || Date.now() - cached.fetchedAt < this.options.ttlMs);
    if (fresh && (!repo || (await this.access.admits(repo, req.authorization, false, 'metadata'))))
      return this.fromCache(cached, 'HIT');
    // One upstream refresh per answer and caller at a time: a burst on an expired entry is one request.
    const flight = `${key}|${createHash('sha256')
      .update(req.authorization ?? '')
      .digest('hex')}`;
    return this.refreshes.run(flight, () => this.refresh(req, url, key, cached, cacheable));
  }

  private async refresh(
    req: ApiRequest,
    url: string,
    key: string,
    cached: ApiCacheRecord | undefined,
    cacheable: boolean,
  ): Promise<ApiAnswer> {
    const repo = req.route?.repo;
    let res;
    try {
      res = await this.router.send({
        method: req.method,
        url,
        headers: {
          authorization: req.authorization,
          'content-type': req.contentType,
          accept: 'application/json',
          'accept-encoding': 'identity',
        },
        body: req.body,
      });
    } catch (err) {
      if (err instanceof UpstreamUnreachableError) return this.offline(cached, req, err.message);
      throw err;
    }
    if (res.status >= 500) {
      res.body.resume();
      return this.offline(cached, req, `upstream answered ${res.status}`);
    }
    if (res.status >= 400) {
      const err = await hubErrorFrom(res);
      if (repo && isAccessDenial(err)) this.access.remember(repo, req.authorization, err, 'metadata');
      throw err;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = res.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    originFreeLinks(headers, res.origin);
    let body = await readSmallBody(res.body, MAX_API_BODY, res.headers['content-encoding']);
    // An HTTP-only mirror keeps clients off Xet; a Xet-serving one answers Xet itself (libs/xet-mirror).
    if (req.route && this.options.xetMode === 'http') body = withoutXetHashes(req.route, body);
    if (repo) {
      this.access.remember(repo, req.authorization, true, 'metadata');
      await this.learn(repo, req, body);
    }
    if (cacheable && res.status === 200) {
      await this.meta.putApiCache({
        key,
        repoKey: repo ? repoKey(repo) : '',
        url,
        status: res.status,
        headers,
        body,
        fetchedAt: Date.now(),
        immutable: this.isImmutable(req.route),
      });
    }
    return { status: res.status, headers: this.withCommon(headers, 'MISS'), body };
  }

  private async offline(
    cached: ApiCacheRecord | undefined,
    req: ApiRequest,
    why: string,
  ): Promise<ApiAnswer> {
    const repo = req.route?.repo;
    if (cached && (!repo || (await this.access.admits(repo, req.authorization, { why }, 'metadata'))))
      return this.fromCache(cached, 'STALE');
    const local =
      req.route &&
      (await this.local.answerOffline(req.route, req.body, req.contentType, req.authorization, why));
    if (local) return local;
    throw HubError.upstreamUnavailable(why);
  }

  private fromCache(cached: ApiCacheRecord, state: string): ApiAnswer {
    return { status: cached.status, headers: this.withCommon(cached.headers, state), body: cached.body };
  }

  private withCommon(headers: Record<string, string>, cacheState: string): Record<string, string> {
    return { ...headers, 'Access-Control-Expose-Headers': EXPOSED_HEADERS, 'X-Dingo-Cache': cacheState };
  }

  /** Repo answers are shared by every caller the access rules admit; the rest are per caller. */
  private cacheKey(req: ApiRequest, url: string): string {
    // The Xet mode changes what listings say: a mode switch must not serve the other mode's answers.
    const h = createHash('sha256').update(`${req.method} ${url}\nxet:${this.options.xetMode}\n`);
    if (!req.route) h.update(`auth:${req.authorization ?? ''}\n`);
    if (req.body) h.update(req.body);
    return h.digest('hex');
  }

  private isImmutable(route: ApiRoute | undefined): boolean {
    const action = route?.action;
    if (!action || action.kind === 'other') return false;
    return action.revision !== undefined && isCommitHash(action.revision);
  }

  /** Info answers tell the commit a revision points at, whether the repo is public, and its files. */
  private async learn(repo: RepoRef, req: ApiRequest, body: Buffer): Promise<void> {
    if (req.route?.action.kind !== 'info') return;
    let info: { sha?: unknown; private?: unknown; gated?: unknown; siblings?: unknown };
    try {
      info = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    await this.access.learnFromInfo(repo, info);
    if (typeof info.sha !== 'string' || !isCommitHash(info.sha)) return;
    const revision = req.route.action.revision;
    if (revision) await this.revisions.remember(repo, revision, info.sha);
    await this.manifests.fromInfo(repo, info.sha, info);
  }
}
