import type { Caller } from './access-policy';
import { HubError } from './hub-error';
import type { HubRoute } from './hub-routes';
import { repoInfoJson, repoListItemJson, whoamiJson } from './repo-views';
import type { SimContext } from './sim-context';
import { jsonResponse, type SimResponse } from './sim-response';
import type { SimRepoState } from './sim-repo';
import { isTrue } from './tree-controller';
import type { SimRepoType } from './types';

type RepoRoute<K extends HubRoute['kind']> = Extract<HubRoute, { kind: K }>;

const MAX_LIST_PAGE = 1000;

/** Repo info, refs, listings, whoami and the Xet token route. */
export class RepoApiController {
  constructor(private readonly ctx: SimContext) {}

  /** Info is readable on gated repos without approval (it shows `gated`). */
  info(route: RepoRoute<'info'>, query: URLSearchParams, caller: Caller): SimResponse {
    const repo = this.ctx.policy.visible(this.ctx.registry.get(route.type, route.id), caller);
    const commit = route.rev === undefined ? repo.head : repo.resolve(route.rev);
    if (!commit) throw HubError.revisionNotFound(route.rev ?? '');
    return jsonResponse(200, pickExpanded(repoInfoJson(repo, commit, isTrue(query.get('blobs'))), query));
  }

  refs(route: RepoRoute<'refs'>, query: URLSearchParams, caller: Caller): SimResponse {
    const repo = this.ctx.policy.visible(this.ctx.registry.get(route.type, route.id), caller);
    const sha = (i: number) => repo.commits[i].sha;
    const branches = [...repo.branches].filter(([name]) => !name.startsWith('refs/convert/'));
    const converts = [...repo.branches].filter(([name]) => name.startsWith('refs/convert/'));
    return jsonResponse(200, {
      branches: branches.map(([name, i]) => ({ name, ref: `refs/heads/${name}`, targetCommit: sha(i) })),
      converts: converts.map(([ref, i]) => ({
        name: ref.slice('refs/convert/'.length),
        ref,
        targetCommit: sha(i),
      })),
      tags: [...repo.tags].map(([name, i]) => ({ name, ref: `refs/tags/${name}`, targetCommit: sha(i) })),
      ...(isTrue(query.get('include_prs')) && {
        pullRequests: repo.prs.map((i, n) => ({
          name: String(n + 1),
          ref: `refs/pr/${n + 1}`,
          targetCommit: sha(i),
        })),
      }),
    });
  }

  xetReadToken(route: RepoRoute<'xet-read-token'>, caller: Caller): SimResponse {
    const repo = this.ctx.policy.readable(this.ctx.registry.get(route.type, route.id), caller);
    if (!repo.resolve(route.rev)) throw HubError.revisionNotFound(route.rev);
    const { token: accessToken, exp } = this.ctx.xetTokens.issue(repo.type, repo.id);
    return jsonResponse(
      200,
      { accessToken, exp, casUrl: this.ctx.casUrl },
      {
        'X-Xet-Cas-Url': this.ctx.casUrl,
        'X-Xet-Access-Token': accessToken,
        'X-Xet-Token-Expiration': String(exp),
      },
    );
  }

  /** `GET /api/models?search=&author=&filter=&sort=&direction=&limit=&full=`, paged with `Link`. */
  list(type: SimRepoType, query: URLSearchParams, caller: Caller): SimResponse {
    const search = query.get('search')?.toLowerCase();
    const author = query.get('author');
    const filters = query.getAll('filter');
    let repos = this.ctx.registry
      .all(type)
      .filter((r) => this.ctx.policy.listable(r, caller))
      .filter((r) => !search || r.id.toLowerCase().includes(search))
      .filter((r) => !author || r.namespace === author)
      .filter((r) => filters.every((f) => (r.spec.repoTags ?? []).includes(f)));
    repos = sortRepos(repos, query.get('sort'), query.get('direction'));

    const limit = Math.min(Number(query.get('limit')) || MAX_LIST_PAGE, MAX_LIST_PAGE);
    const offset = decodeOffset(query.get('cursor'));
    const page = repos.slice(offset, offset + limit);
    const headers: Record<string, string> = {};
    if (offset + limit < repos.length) {
      const next = new URLSearchParams(query);
      next.set('cursor', Buffer.from(JSON.stringify({ offset: offset + limit })).toString('base64url'));
      headers.Link = `<${this.ctx.hubUrl}/api/${type}s?${next}>; rel="next"`;
    }
    const full = isTrue(query.get('full'));
    const expanding = query.has('expand') || query.has('expand[]');
    const item = (r: SimRepoState) =>
      expanding ? pickExpanded(repoInfoJson(r, r.head, false), query) : repoListItemJson(r, full);
    return jsonResponse(200, page.map(item), headers);
  }

  whoami(caller: Caller): SimResponse {
    if (!caller.grant) throw HubError.invalidCredentials();
    return jsonResponse(200, whoamiJson(caller.grant));
  }
}

/** With `expand=…` (or `expand[]=…`) the Hub sends only those fields, besides `_id` and `id`. */
function pickExpanded(json: Record<string, unknown>, query: URLSearchParams): Record<string, unknown> {
  const keys = [...query.getAll('expand'), ...query.getAll('expand[]')];
  if (keys.length === 0) return json;
  const wanted = new Set(['_id', 'id', ...keys]);
  return Object.fromEntries(Object.entries(json).filter(([k]) => wanted.has(k)));
}

function sortRepos(repos: SimRepoState[], sort: string | null, direction: string | null): SimRepoState[] {
  const key = (r: SimRepoState): string | number =>
    sort === 'lastModified'
      ? r.head.date.getTime()
      : sort === 'createdAt'
        ? r.commits[0].date.getTime()
        : r.id;
  const sorted = [...repos].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  // The Hub sorts by dates descending unless direction=1; ids ascending.
  const descending =
    direction === '-1' || (direction === null && (sort === 'lastModified' || sort === 'createdAt'));
  return descending ? sorted.reverse() : sorted;
}

function decodeOffset(cursor: string | null): number {
  if (!cursor) return 0;
  try {
    const offset = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')).offset;
    if (Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw HubError.badRequest('Invalid cursor');
}
