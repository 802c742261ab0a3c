import {
  assertRepoSegment,
  HubError,
  parseHubRequest,
  ParsedHubRequest,
  RepoRef,
  RepoType,
  repoTypeFromPlural,
} from '@dingo/hub-protocol';
import { RepoAction } from './access-model';

/** One permission a request needs: a repo action on one repo, or on repos in general (listing). */
export interface RepoCheck {
  action: RepoAction | 'manage';
  /** Absent: the action on repos in general (`list`), or `manage` of everything. */
  repo?: RepoRef;
}

export type HubAccess =
  /** `/health` (`/live`, `/ready`) and `/metrics`: monitoring stays open (they reveal no repo content or identities). */
  | { kind: 'open' }
  /** `parsed` is handed on to the Hub controller, so the URL is parsed once. */
  | { kind: 'checked'; checks: RepoCheck[]; parsed: ParsedHubRequest };

export const OPEN_PATHS: ReadonlySet<string> = new Set([
  '/health',
  '/health/live',
  '/health/ready',
  '/metrics',
]);

const READ_METHODS = new Set(['GET', 'HEAD']);

export function isOpenPath(url: string): boolean {
  return OPEN_PATHS.has(url.split('?')[0]);
}

/**
 * What a request to the Hub surface needs, decided from the same parsers the Hub controller uses
 * (so the guard and the controller never disagree on which repo a URL names):
 * resolve and API reads (incl. POST paths-info) = `read`; `/api/{type}s` and other API GETs =
 * `list` (`/api/whoami-v2`: nothing); commit, preupload, branch/tag and `/api/repos/create` = `upload`; DELETE,
 * `/api/repos/delete`, `/api/repos/move` and settings = `delete`; any other write = `manage`.
 * `callerNamespace` stands in for the namespace of repos created without an organization.
 */
export function classifyHubRequest(
  method: string,
  url: string,
  body: unknown,
  callerNamespace?: string,
): HubAccess {
  const path = url.split('?')[0];
  if (isOpenPath(path)) return { kind: 'open' };
  rejectDotSegments(path);
  const read = READ_METHODS.has(method);
  const parsed = parseHubRequest(method, url);
  const checked = (...checks: RepoCheck[]): HubAccess => ({ kind: 'checked', checks, parsed });

  if (parsed.kind === 'resolve') return checked({ action: 'read', repo: parsed.route.repo });
  const api = parsed.kind === 'api' ? parsed.route : undefined;
  if (api) {
    if (read || (method === 'POST' && api.action.kind === 'paths-info'))
      return checked({ action: 'read', repo: api.repo });
    const sub = api.action.kind === 'other' ? api.action.rest.split('/')[0] : '';
    if (method === 'DELETE' || sub === 'settings') return checked({ action: 'delete', repo: api.repo });
    return checked({ action: 'upload', repo: api.repo });
  }
  if (path === '/api' || path.startsWith('/api/')) {
    // Who am I reveals only the caller's own identity (answered locally for mirror users).
    if (read && path === '/api/whoami-v2') return checked();
    if (method === 'POST' && path === '/api/repos/create')
      return checked({ action: 'upload', repo: repoFromBody(body, 'name', callerNamespace) });
    if (method === 'DELETE' && path === '/api/repos/delete')
      return checked({ action: 'delete', repo: repoFromBody(body, 'name', callerNamespace) });
    if (method === 'POST' && path === '/api/repos/move') {
      const from = repoFromBody(body, 'fromRepo', callerNamespace);
      return checked(
        { action: 'delete', repo: from },
        { action: 'upload', repo: { type: from.type, id: idFromBody(body, 'toRepo') } },
      );
    }
    return read ? checked({ action: 'list' }) : checked({ action: 'manage' });
  }
  const git = parseGitRepoPath(path);
  if (git)
    return checked({ action: read && !path.includes('/git-receive-pack') ? 'read' : 'upload', repo: git });
  return read ? checked({ action: 'list' }) : checked({ action: 'manage' });
}

/**
 * Upstream servers and proxies may normalize `..` (raw or encoded) after the guard has decided;
 * refuse such paths outright so the repo that was checked is the repo that is fetched.
 */
export function rejectDotSegments(path: string): void {
  for (const raw of path.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw HubError.badRequest('Malformed percent-encoding in the request path');
    }
    if (segment.split(/[\\/]/).some((part) => part === '.' || part === '..')) {
      throw HubError.badRequest('Dot segments are not allowed in the request path');
    }
  }
}

/** `{name, organization?, type?}` as huggingface_hub sends to `/api/repos/create` and `/delete`. */
function repoFromBody(body: unknown, field: 'name' | 'fromRepo', callerNamespace?: string): RepoRef {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const type = repoTypeOf(b.type);
  if (field === 'fromRepo') return { type, id: idFromBody(b, 'fromRepo') };
  if (typeof b.name !== 'string') throw HubError.badRequest('Invalid body: "name" must be a string');
  const org = b.organization;
  if (org !== undefined && org !== null && typeof org !== 'string')
    throw HubError.badRequest('Invalid body: "organization" must be a string');
  const namespace = typeof org === 'string' && org ? org : callerNamespace;
  const id = b.name.includes('/') || !namespace ? b.name : `${namespace}/${b.name}`;
  return { type, id: checkedId(id, 'name') };
}

function idFromBody(body: unknown, field: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string') throw HubError.badRequest(`Invalid body: "${field}" must be a repo id`);
  return checkedId(value, field);
}

function checkedId(id: string, field: string): string {
  const parts = id.split('/');
  if (parts.length > 2)
    throw HubError.badRequest(`Invalid body: "${field}" must be "name" or "namespace/name"`);
  parts.forEach(assertRepoSegment);
  return id;
}

function repoTypeOf(value: unknown): RepoType {
  if (value === undefined || value === null || value === 'model') return 'model';
  if (value === 'dataset' || value === 'space') return value;
  throw HubError.badRequest('Invalid body: "type" must be "model", "dataset" or "space"');
}

/** `/{id}.git/…`, `/datasets/{id}.git/…` (git and git-lfs over HTTP). */
function parseGitRepoPath(path: string): RepoRef | undefined {
  const segments = path.split('/').slice(1);
  let type: RepoType = 'model';
  if (segments[0] === 'datasets' || segments[0] === 'spaces') {
    type = repoTypeFromPlural(segments[0])!;
    segments.shift();
  }
  const at = segments.findIndex((s) => s.endsWith('.git'));
  if (at < 0 || at > 1) return undefined;
  const parts = [...segments.slice(0, at), segments[at].slice(0, -'.git'.length)].map((s) =>
    decodeURIComponent(s),
  );
  parts.forEach(assertRepoSegment);
  return { type, id: parts.join('/') };
}
