import { HubError } from './hub-error';
import type { RepoRegistry } from './repo-registry';
import type { SimRepoType } from './types';

interface RepoRef {
  type: SimRepoType;
  id: string;
}

export type HubRoute =
  | ({ kind: 'resolve'; rev: string; path: string; raw: boolean } & RepoRef)
  | ({ kind: 'info'; rev?: string } & RepoRef)
  | ({ kind: 'tree'; rev: string; path: string } & RepoRef)
  | ({ kind: 'paths-info'; rev: string } & RepoRef)
  | ({ kind: 'refs' } & RepoRef)
  | ({ kind: 'xet-read-token'; rev: string } & RepoRef)
  | { kind: 'list'; type: SimRepoType }
  | { kind: 'whoami' };

const API_TYPES: Record<string, SimRepoType> = { models: 'model', datasets: 'dataset', spaces: 'space' };
const URL_PREFIX_TYPES: Record<string, SimRepoType> = { datasets: 'dataset', spaces: 'space' };
const API_KEYWORDS: ReadonlySet<string> = new Set([
  'revision',
  'tree',
  'paths-info',
  'refs',
  'xet-read-token',
]);
const FILE_KEYWORDS: ReadonlySet<string> = new Set(['resolve', 'raw']);

/** Maps a Hub request path onto a route; revisions and paths come out percent-decoded once. */
export function parseHubRoute(method: string, pathname: string, registry: RepoRegistry): HubRoute {
  const segs = pathname.split('/').slice(1).map(decodeSegment);
  if (segs[segs.length - 1] === '' && segs.length > 1) segs.pop();

  if (segs[0] === 'api') {
    if (segs[1] === 'whoami-v2' && segs.length === 2) return { kind: 'whoami' };
    const type = API_TYPES[segs[1]];
    if (!type) throw HubError.routeNotFound();
    if (segs.length === 2) return { kind: 'list', type };
    const rest = segs.slice(2);
    const idLen = registry.idLength(type, rest, API_KEYWORDS);
    const repo = { type, id: rest.slice(0, idLen).join('/') };
    const [sub, ...args] = rest.slice(idLen);
    if (sub === undefined) return { kind: 'info', ...repo };
    if (sub === 'refs' && args.length === 0) return { kind: 'refs', ...repo };
    if (args.length > 0) {
      const { rev, rest: tail } = takeRevision(args);
      if (sub === 'revision' && tail.length === 0) return { kind: 'info', rev, ...repo };
      if (sub === 'tree') return { kind: 'tree', rev, path: filePath(tail, true), ...repo };
      if (sub === 'paths-info' && tail.length === 0 && method === 'POST')
        return { kind: 'paths-info', rev, ...repo };
      if (sub === 'xet-read-token' && tail.length === 0) return { kind: 'xet-read-token', rev, ...repo };
    }
    throw HubError.routeNotFound();
  }

  const type = URL_PREFIX_TYPES[segs[0]] ?? 'model';
  const rest = type === 'model' ? segs : segs.slice(1);
  const idLen = rest.length >= 3 && FILE_KEYWORDS.has(rest[2]) ? 2 : 1;
  const verb = rest[idLen];
  if (FILE_KEYWORDS.has(verb) && rest.length >= idLen + 3) {
    const { rev, rest: tail } = takeRevision(rest.slice(idLen + 1));
    if (tail.length > 0) {
      return {
        kind: 'resolve',
        type,
        id: rest.slice(0, idLen).join('/'),
        rev,
        path: filePath(tail, false),
        raw: verb === 'raw',
      };
    }
  }
  throw HubError.routeNotFound();
}

/** The revision is one (encoded) segment; unencoded `refs/pr/N` and `refs/convert/X` are taken too. */
function takeRevision(segs: string[]): { rev: string; rest: string[] } {
  if (segs[0] === 'refs' && segs.length >= 3 && (segs[1] === 'pr' || segs[1] === 'convert')) {
    return { rev: segs.slice(0, 3).join('/'), rest: segs.slice(3) };
  }
  return { rev: segs[0], rest: segs.slice(1) };
}

function filePath(segs: string[], allowEmpty: boolean): string {
  if (segs.some((s) => s === '.' || s === '..') || (!allowEmpty && segs.some((s) => s === ''))) {
    throw HubError.badRequest('Invalid path');
  }
  return segs.join('/');
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw HubError.badRequest('Invalid URL encoding');
  }
}
