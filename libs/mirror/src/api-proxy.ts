import { createHash } from 'node:crypto';
import {
  ApiRoute,
  EXPOSED_HEADERS,
  HubError,
  isCommitHash,
  RepoRef,
  repoKey,
  stripXetLink,
} from '@dingo/hub-protocol';
import { ApiCacheRecord, MetadataPort } from '@dingo/metadata-store';
import { readSmallBody, UpstreamRouter, UpstreamUnreachableError } from '@dingo/upstream';
import { SingleFlight } from '@dingo/concurrency';
import { AccessVerdicts } from './access-verdicts';
import { hubErrorFrom, isAccessDenial } from './upstream-errors';

export interface ApiRequest {
  method: 'GET' | 'POST';
  /** Path and query as the client sent them (`/api/models/x/tree/main?recursive=1`). */
  url: string;
  route?: ApiRoute;
  authorization?: string;
  body?: Buffer;
  contentType?: string;
  /** Base URL clients reach this mirror at; upstream `Link` URLs are rewritten onto it. */
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

/**
 * Hub API passthrough with a cache: answers for a commit are kept forever, others for the revision
 * TTL, and any cached answer is served (stale) while upstream is unreachable. Repo answers are
 * shared across callers only within the access rules; list and whoami answers are per caller.
 */
export class ApiProxy {
  private readonly refreshes = new SingleFlight<ApiAnswer>();
  constructor(
    private readonly meta: MetadataPort,
    private readonly router: UpstreamRouter,
    private readonly access: AccessVerdicts,
    private readonly ttlMs: number,
  ) {}

  async handle(req: ApiRequest): Promise<ApiAnswer> {
    const repo = req.route?.repo;
    const cacheable = req.method === 'GET' || req.route?.action.kind === 'paths-info';
    const key = this.cacheKey(req);
    const cached = cacheable ? await this.meta.getApiCache(key) : undefined;
    if (cached && repo && (cached.immutable || Date.now() - cached.fetchedAt < this.ttlMs)) {
      const access = await this.access.forCached(repo, req.authorization, false);
      if (access.kind === 'allow') return this.fromCache(cached, req, 'HIT');
      if (access.kind === 'deny') throw access.error;
    } else if (cached && !repo && Date.now() - cached.fetchedAt < this.ttlMs) {
      return this.fromCache(cached, req, 'HIT');
    }
    // One upstream refresh per answer and caller at a time: a burst on an expired entry is one request.
    const flight = `${key}|${createHash('sha256')
      .update(req.authorization ?? '')
      .digest('hex')}`;
    return this.refreshes.run(flight, () => this.refresh(req, key, cached, cacheable));
  }

  private async refresh(
    req: ApiRequest,
    key: string,
    cached: ApiCacheRecord | undefined,
    cacheable: boolean,
  ): Promise<ApiAnswer> {
    const repo = req.route?.repo;
    let res;
    try {
      res = await this.router.send({
        method: req.method,
        url: req.url,
        headers: {
          authorization: req.authorization,
          'content-type': req.contentType,
          accept: 'application/json',
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
      if (repo && isAccessDenial(err)) this.access.remember(repo, req.authorization, err);
      throw err;
    }
    const body = await readSmallBody(res.body);
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = res.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const link = stripXetLink(headers.link);
    if (link) headers.link = link.split(res.origin).join(req.publicBase);
    else delete headers.link;
    // A renamed repo answers with a redirect; keep the client on the mirror.
    if (headers.location?.startsWith(res.origin))
      headers.location = req.publicBase + headers.location.slice(res.origin.length);
    if (repo) {
      this.access.remember(repo, req.authorization, true);
      await this.learn(repo, req, body);
    }
    if (cacheable && res.status === 200) {
      await this.meta.putApiCache({
        key,
        repoKey: repo ? repoKey(repo) : '',
        url: req.url,
        status: res.status,
        headers,
        body,
        fetchedAt: Date.now(),
        immutable: this.isImmutable(req),
      });
    }
    return { status: res.status, headers: this.withCommon(headers, 'MISS'), body };
  }

  private async offline(
    cached: ApiCacheRecord | undefined,
    req: ApiRequest,
    why: string,
  ): Promise<ApiAnswer> {
    if (!cached) throw HubError.upstreamUnavailable(why);
    if (req.route?.repo) {
      const access = await this.access.forCached(req.route.repo, req.authorization, true);
      if (access.kind === 'deny') throw access.error;
      if (access.kind === 'ask-upstream') {
        throw new HubError(
          503,
          'UpstreamUnavailable',
          `Cannot check access to ${req.route.repo.id} while the upstream hub is unreachable (${why})`,
        );
      }
    }
    return this.fromCache(cached, req, 'STALE');
  }

  private fromCache(cached: ApiCacheRecord, req: ApiRequest, state: string): ApiAnswer {
    const headers = { ...cached.headers };
    return { status: cached.status, headers: this.withCommon(headers, state), body: cached.body };
  }

  private withCommon(headers: Record<string, string>, cacheState: string): Record<string, string> {
    return { ...headers, 'Access-Control-Expose-Headers': EXPOSED_HEADERS, 'X-Dingo-Cache': cacheState };
  }

  /** Repo answers are shared by every caller the access rules admit; the rest are per caller. */
  private cacheKey(req: ApiRequest): string {
    const h = createHash('sha256').update(`${req.method} ${req.url}\n`);
    if (!req.route) h.update(`auth:${req.authorization ?? ''}\n`);
    if (req.body) h.update(req.body);
    return h.digest('hex');
  }

  private isImmutable(req: ApiRequest): boolean {
    const action = req.route?.action;
    if (!action || action.kind === 'other') return false;
    return 'revision' in action && action.revision !== undefined && isCommitHash(action.revision);
  }

  /** Info answers tell the commit a revision points at, and whether the repo is public. */
  private async learn(repo: RepoRef, req: ApiRequest, body: Buffer): Promise<void> {
    if (req.route?.action.kind !== 'info') return;
    let info: { sha?: unknown; private?: unknown; gated?: unknown };
    try {
      info = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    await this.access.learnFromInfo(repo, info);
    const revision = req.route.action.revision;
    if (revision && typeof info.sha === 'string' && !isCommitHash(revision)) {
      await this.meta.putRevision({
        repoType: repo.type,
        repoId: repo.id,
        revision,
        commit: info.sha,
        fetchedAt: Date.now(),
      });
    }
  }
}
