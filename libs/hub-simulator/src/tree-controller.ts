import type { Caller } from './access-policy';
import { HubError } from './hub-error';
import type { HubRoute } from './hub-routes';
import { treeEntryJson } from './repo-views';
import type { SimContext } from './sim-context';
import type { SimCommitState, SimRepoState } from './sim-repo';
import { jsonResponse, type SimResponse } from './sim-response';

type TreeRoute = Extract<HubRoute, { kind: 'tree' }>;
type PathsInfoRoute = Extract<HubRoute, { kind: 'paths-info' }>;

/** `GET …/tree/{rev}/{path}` (paged by an opaque cursor in `Link`) and `POST …/paths-info/{rev}`. */
export class TreeController {
  constructor(private readonly ctx: SimContext) {}

  tree(route: TreeRoute, query: URLSearchParams, caller: Caller): SimResponse {
    const { repo, commit } = this.open(route, caller);
    const dir = commit.tree.get(route.path);
    if (!dir || dir.kind !== 'directory') throw HubError.entryNotFound();
    const expand = isTrue(query.get('expand'));
    const entries = commit.tree.list(dir, isTrue(query.get('recursive')));
    const pageSize = this.ctx.treePageSize ?? (expand ? 50 : 1000);
    const start = startAfterCursor(query.get('cursor'), (i) => entries[i]?.path, entries.length);
    const page = entries.slice(start, start + pageSize);
    const headers: Record<string, string> = {};
    if (start + pageSize < entries.length) {
      const next = new URLSearchParams(query);
      next.set('cursor', encodeCursor(page[page.length - 1].path));
      const path = route.path ? `/${route.path.split('/').map(encodeURIComponent).join('/')}` : '';
      const url = `${this.ctx.hubUrl}/api/${repo.type}s/${repo.id}/tree/${encodeURIComponent(route.rev)}${path}`;
      headers.Link = `<${url}?${next}>; rel="next"`;
    }
    return jsonResponse(
      200,
      page.map((n) => treeEntryJson(repo, n, expand)),
      headers,
    );
  }

  pathsInfo(route: PathsInfoRoute, body: { paths: string[]; expand: boolean }, caller: Caller): SimResponse {
    const { repo, commit } = this.open(route, caller);
    const seen = new Set<string>();
    const entries = [];
    for (const raw of body.paths) {
      const path = raw.replace(/^\/+|\/+$/g, '');
      if (!path || seen.has(path)) continue;
      seen.add(path);
      const node = commit.tree.get(path);
      if (node) entries.push(treeEntryJson(repo, node, body.expand));
    }
    return jsonResponse(200, entries);
  }

  private open(
    route: TreeRoute | PathsInfoRoute,
    caller: Caller,
  ): { repo: SimRepoState; commit: SimCommitState } {
    const repo = this.ctx.policy.readable(this.ctx.registry.get(route.type, route.id), caller);
    const commit = repo.resolve(route.rev);
    if (!commit) throw HubError.revisionNotFound(route.rev);
    return { repo, commit };
  }
}

/** Python sends booleans in forms as 'True'/'False'; JS as 'true'/'false'. */
export function isTrue(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && /^(true|1)$/i.test(value);
}

// The cursor is opaque to clients; like the Hub's, it names the last entry already sent.
function encodeCursor(lastPath: string): string {
  return Buffer.from(JSON.stringify({ file_name: lastPath })).toString('base64url');
}

function startAfterCursor(
  cursor: string | null,
  pathAt: (i: number) => string | undefined,
  n: number,
): number {
  if (!cursor) return 0;
  let last: unknown;
  try {
    last = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')).file_name;
  } catch {
    throw HubError.badRequest('Invalid cursor');
  }
  for (let i = 0; i < n; i++) if (pathAt(i) === last) return i + 1;
  throw HubError.badRequest('Invalid cursor');
}
