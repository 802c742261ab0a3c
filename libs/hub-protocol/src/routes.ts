import { HubError } from './hub-error';
import {
  assertFilePath,
  assertRepoSegment,
  assertRevision,
  decodeSegment,
  RepoRef,
  RepoType,
  repoTypeFromPlural,
} from './repo-ref';

export interface ResolveRoute {
  repo: RepoRef;
  revision: string;
  path: string;
}

export type ApiAction =
  | { kind: 'info'; revision?: string }
  | { kind: 'tree'; revision: string; path: string }
  | { kind: 'paths-info'; revision: string }
  | { kind: 'other'; rest: string };

export interface ApiRoute {
  repo: RepoRef;
  action: ApiAction;
}

const API_SUBRESOURCES = new Set([
  'revision',
  'tree',
  'paths-info',
  'refs',
  'commits',
  'commit',
  'resolve',
  'treesize',
  'xet-read-token',
  'discussions',
  'settings',
]);

function splitPath(rawPath: string): string[] {
  const path = rawPath.split('?')[0];
  return path.split('/').filter((s, i) => !(i === 0 && s === ''));
}

function repoId(segments: string[]): string {
  const decoded = segments.map(decodeSegment);
  decoded.forEach(assertRepoSegment);
  return decoded.join('/');
}

/**
 * Takes a revision starting at `segments[0]`. Clients send it percent-encoded as one segment
 * (`refs%2Fpr%2F1`); a few send `refs/pr/1` raw, which spans three segments.
 */
function takeRevision(segments: string[]): { revision: string; rest: string[] } {
  if (segments.length === 0) throw HubError.badRequest('Missing revision');
  const first = decodeSegment(segments[0]);
  if (first === 'refs' && segments.length >= 3 && /^(pr|convert)$/.test(segments[1])) {
    const revision = `refs/${segments[1]}/${decodeSegment(segments[2])}`;
    assertRevision(revision);
    return { revision, rest: segments.slice(3) };
  }
  assertRevision(first);
  return { revision: first, rest: segments.slice(1) };
}

function filePath(segments: string[], allowEmpty: boolean): string {
  const path = segments.map(decodeSegment).join('/');
  assertFilePath(path, allowEmpty);
  return path;
}

/** `/{id}/resolve/{rev}/{path}`, `/datasets/{id}/resolve/...`, `/spaces/{id}/resolve/...`. */
export function parseResolvePath(rawPath: string): ResolveRoute | undefined {
  let segments = splitPath(rawPath);
  let type: RepoType = 'model';
  if (segments[0] === 'datasets' || segments[0] === 'spaces') {
    type = repoTypeFromPlural(segments[0])!;
    segments = segments.slice(1);
  }
  const at = segments[1] === 'resolve' ? 1 : segments[2] === 'resolve' ? 2 : -1;
  if (at < 0) return undefined;
  const id = repoId(segments.slice(0, at));
  const { revision, rest } = takeRevision(segments.slice(at + 1));
  return { repo: { type, id }, revision, path: filePath(rest, false) };
}

/** `/api/{models|datasets|spaces}/{id}[/revision/{rev} | /tree/{rev}/{path} | /paths-info/{rev} | /...]`. */
export function parseApiRepoPath(rawPath: string): ApiRoute | undefined {
  const segments = splitPath(rawPath);
  if (segments[0] !== 'api') return undefined;
  const type = repoTypeFromPlural(segments[1]);
  if (!type) return undefined;
  const s = segments.slice(2);
  if (s.length === 0) return undefined;
  const idLength = s.length >= 2 && API_SUBRESOURCES.has(s[1]) ? 1 : Math.min(2, s.length);
  const repo: RepoRef = { type, id: repoId(s.slice(0, idLength)) };
  const rest = s.slice(idLength);
  if (rest.length === 0) return { repo, action: { kind: 'info' } };
  if (rest[0] === 'revision') {
    const { revision, rest: extra } = takeRevision(rest.slice(1));
    if (extra.length) throw HubError.badRequest('Unexpected path after revision');
    return { repo, action: { kind: 'info', revision } };
  }
  if (rest[0] === 'tree') {
    const { revision, rest: extra } = takeRevision(rest.slice(1));
    return { repo, action: { kind: 'tree', revision, path: filePath(extra, true) } };
  }
  if (rest[0] === 'paths-info') {
    const { revision, rest: extra } = takeRevision(rest.slice(1));
    if (extra.length) throw HubError.badRequest('Unexpected path after revision');
    return { repo, action: { kind: 'paths-info', revision } };
  }
  return { repo, action: { kind: 'other', rest: rest.join('/') } };
}

/** Encodes a revision the way huggingface_hub does (`quote(rev, safe="")`). */
export function encodeRevision(revision: string): string {
  return encodeURIComponent(revision);
}

/** Encodes a repo file path keeping `/`. */
export function encodeFilePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** A Hub-surface request as parsed from its method and URL. */
export type ParsedHubRequest =
  { kind: 'resolve'; route: ResolveRoute } | { kind: 'api'; route?: ApiRoute } | { kind: 'other' };

/** Resolve (GET/HEAD), API (repo-scoped `route`, or another `/api/…` path), or neither. */
export function parseHubRequest(method: string, url: string): ParsedHubRequest {
  if (method === 'GET' || method === 'HEAD') {
    const route = parseResolvePath(url);
    if (route) return { kind: 'resolve', route };
  }
  if (!url.startsWith('/api/')) return { kind: 'other' };
  return { kind: 'api', route: parseApiRepoPath(url) };
}
