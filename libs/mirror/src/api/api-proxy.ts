import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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
import { asksForLocal, listingTypeOf, LocalListings, RepoObserver } from '../repo-observer';

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
  /** The caller asks for the mirror's own answer where it has one (listings from the catalogue). */
  local?: boolean;
  /** The caller's grants, where an access layer decided them (listings answered locally filter with it). */
  mayRead?: (repo: RepoRef) => boolean;
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
  /**
   * Cached answers also kept in memory (records are never edited, only replaced by this process or
   * by another node's refresh, which a stale entry is re-read from the store for), for a minute at
   * most: an admin may remove a repo's answers on another node.
   */
  private readonly recent = new LRUCache<string, ApiCacheRecord>({
    ttl: 60_000,
    maxSize: 32 * 1024 * 1024,
    maxEntrySize: 4 * 1024 * 1024,
    sizeCalculation: (r) => r.body.length + 1024,
  });
  private readonly observers: RepoObserver[] = [];
  private listings?: LocalListings;

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

  /** Info answers from upstream are also told to `observer`. */
  observe(observer: RepoObserver): void {
    this.observers.push(observer);
  }

  /** Listings answered locally when upstream is unreachable or the caller asks for local results. */
  serveListingsLocally(listings: LocalListings): void {
    this.listings = listings;
  }

  async handle(req: ApiRequest): Promise<ApiAnswer> {
    const local = !req.route && (req.local || asksForLocal(req.url)) && (await this.localListing(req));
    const answer = local || (await this.answer(req));
    return { ...answer, headers: withPublicBase(answer.headers, req.publicBase) };
  }

  private async answer(req: ApiRequest): Promise<ApiAnswer> {
    const repo = req.route?.repo;
    const hosted = repo && this.hosted?.for(repo);
    if (hosted) {
      const answer = await hosted.answerApi(req);
      // Hosted repos are in the catalogue like cached ones: observers learn from their info answers too.
      if (answer.status === 200 && req.route?.action.kind === 'info') this.tellObservers(repo, answer.body);
      return answer;
    }
    const known =
      req.route && (await this.local.answer(req.route, req.body, req.contentType, req.authorization));
    if (known) return known;
    const url = canonicalApiUrl(req.url);
    const cacheable = req.method === 'GET' || req.route?.action.kind === 'paths-info';
    const key = this.cacheKey(req, url);
    const cached = cacheable ? await this.cachedAnswer(key) : undefined;
    const fresh = cached && this.fresh(cached);
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
        failFast: cached !== undefined,
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
    // The Hub's API answers JSON: a 200 page that is not (a captive portal, a proxy's login page)
    // is no answer, and must never replace a cached one (for a commit, it would be kept forever).
    if (res.status === 200 && !isJson(body)) return this.notAnAnswer(cached, req, res.status);
    // An HTTP-only mirror keeps clients off Xet; a Xet-serving one answers Xet itself (libs/xet-mirror).
    if (req.route && this.options.xetMode === 'http') body = withoutXetHashes(req.route, body);
    if (repo) {
      this.access.remember(repo, req.authorization, true, 'metadata');
      await this.learn(repo, req, body);
    }
    if (cacheable && res.status === 200) {
      const record: ApiCacheRecord = {
        key,
        repoKey: repo ? repoKey(repo) : '',
        url,
        status: res.status,
        headers,
        body,
        fetchedAt: Date.now(),
        immutable: this.isImmutable(req.route),
      };
      await this.meta.putApiCache(record);
      this.recent.set(key, record);
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
    const listing = !repo && (await this.localListing(req));
    if (listing) return listing;
    throw HubError.upstreamUnavailable(why);
  }

  /** Upstream answered, but with something that is not an API answer: the cached one if any, else 502. */
  private async notAnAnswer(
    cached: ApiCacheRecord | undefined,
    req: ApiRequest,
    status: number,
  ): Promise<ApiAnswer> {
    const why = `upstream answered ${status} with a body that is not JSON`;
    const repo = req.route?.repo;
    if (cached && (!repo || (await this.access.admits(repo, req.authorization, { why }, 'metadata'))))
      return this.fromCache(cached, 'STALE');
    throw HubError.badGateway(`The upstream hub ${why}`);
  }

  private async localListing(req: ApiRequest): Promise<ApiAnswer | undefined> {
    const type = listingTypeOf(req.url);
    if (!type || !this.listings || req.method !== 'GET') return undefined;
    const answer = await this.listings({
      type,
      url: req.url,
      authorization: req.authorization,
      publicBase: req.publicBase,
      mayRead: req.mayRead,
    });
    return answer && { ...answer, headers: this.withCommon(answer.headers, 'LOCAL') };
  }

  private fromCache(cached: ApiCacheRecord, state: string): ApiAnswer {
    return { status: cached.status, headers: this.withCommon(cached.headers, state), body: cached.body };
  }

  private withCommon(headers: Record<string, string>, cacheState: string): Record<string, string> {
    return { ...headers, 'Access-Control-Expose-Headers': EXPOSED_HEADERS, 'X-Dingo-Cache': cacheState };
  }

  /** Repo answers are shared by every caller the access rules admit; the rest are per caller. */
  private async cachedAnswer(key: string): Promise<ApiCacheRecord | undefined> {
    const known = this.recent.get(key);
    if (known && this.fresh(known)) return known;
    const stored = await this.meta.getApiCache(key);
    if (stored) this.recent.set(key, stored);
    return stored;
  }

  private fresh(cached: ApiCacheRecord): boolean {
    return cached.immutable || Date.now() - cached.fetchedAt < this.options.ttlMs;
  }

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

  /** Forgets the repo's answers kept in memory (an admin removed them from the store). */
  forgetRepo(repo: RepoRef): void {
    const key = repoKey(repo);
    for (const [k, record] of [...this.recent.entries()]) if (record.repoKey === key) this.recent.delete(k);
  }

  /** Observers forget a repo that is gone (a hosted repo deleted). */
  repoRemoved(repo: RepoRef): void {
    for (const o of this.observers) o.repoRemoved?.(repo);
  }

  private tellObservers(repo: RepoRef, info: Buffer | object): void {
    if (!this.observers.length) return;
    let parsed: unknown = info;
    if (Buffer.isBuffer(info)) {
      try {
        parsed = JSON.parse(info.toString('utf8'));
      } catch {
        return;
      }
    }
    if (!parsed || typeof parsed !== 'object') return;
    for (const o of this.observers) o.repoInfo?.(repo, parsed as Record<string, unknown>);
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
    this.tellObservers(repo, info);
    if (typeof info.sha !== 'string' || !isCommitHash(info.sha)) return;
    const revision = req.route.action.revision;
    if (revision) await this.revisions.remember(repo, revision, info.sha);
    await this.manifests.fromInfo(repo, info.sha, info);
  }
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
