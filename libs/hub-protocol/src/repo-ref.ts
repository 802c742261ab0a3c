import { HubError } from './hub-error';

export type RepoType = 'model' | 'dataset' | 'space';
export const REPO_TYPES: readonly RepoType[] = ['model', 'dataset', 'space'];

export interface RepoRef {
  type: RepoType;
  /** `name` or `namespace/name`. */
  id: string;
}

/** `/{prefix}{id}` as the Hub writes it in URLs: models have no prefix. */
export function repoUrlPrefix(type: RepoType): string {
  return type === 'model' ? '' : `${type}s/`;
}

export function repoKey(ref: RepoRef): string {
  return `${ref.type}s/${ref.id}`;
}

export function repoTypeFromPlural(plural: string): RepoType | undefined {
  return ({ models: 'model', datasets: 'dataset', spaces: 'space' } as const)[plural as 'models'];
}

const NAME_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** Validates one repo id segment (namespace or name) the way the Hub does. */
export function assertRepoSegment(segment: string): void {
  if (!NAME_SEGMENT.test(segment) || segment.includes('..') || segment.endsWith('.git')) {
    throw HubError.badRequest(`Invalid repo id segment: ${JSON.stringify(segment.slice(0, 100))}`);
  }
}

const COMMIT_HASH = /^[0-9a-f]{40}$/;
export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** Revisions are single ref names after decoding; refuse what could escape a path or a header. */
export function assertRevision(revision: string): void {
  if (
    revision.length === 0 ||
    revision.length > 256 ||
    /[\x00-\x1f\x7f\\ ~^:?*[]/.test(revision) ||
    revision.split('/').some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw HubError.badRequest(`Invalid revision: ${JSON.stringify(revision.slice(0, 100))}`);
  }
}

/** Repo-relative file paths: no traversal, no absolute paths, no control characters. */
export function assertFilePath(path: string, allowEmpty = false): void {
  if (path === '' && allowEmpty) return;
  if (
    path.length === 0 ||
    path.length > 1024 ||
    path.startsWith('/') ||
    /[\x00-\x1f\x7f\\]/.test(path) ||
    path.split('/').some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw HubError.badRequest(`Invalid file path: ${JSON.stringify(path.slice(0, 200))}`);
  }
}

/** Decodes one percent-encoded URL segment, turning malformed escapes into a 400. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw HubError.badRequest(`Malformed percent-encoding in ${JSON.stringify(segment.slice(0, 100))}`);
  }
}
