import { CliError, EXIT } from './cli-errors';
import type { RepoType } from './hf-cache';

export interface RepoSpec {
  type: RepoType;
  id: string;
  revision: string;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]{0,95}(\/[A-Za-z0-9][\w.-]{0,95})?$/;

/** `org/name`, `org/name@rev`; `--revision` wins over `@rev`; `main` by default. */
export function parseRepoSpec(
  spec: string,
  type: string | undefined,
  revision: string | undefined,
): RepoSpec {
  const at = spec.indexOf('@');
  const id = at < 0 ? spec : spec.slice(0, at);
  const rev = revision ?? (at < 0 ? undefined : spec.slice(at + 1)) ?? 'main';
  if (!REPO_ID.test(id) || id.includes('..'))
    throw new CliError(EXIT.usage, `"${id}" is not a repo id (name or namespace/name)`);
  if (!rev || rev.length > 256 || /[\u0000-\u001f]/.test(rev))
    throw new CliError(EXIT.usage, `"${rev}" is not a revision`);
  return { type: repoType(type), id, revision: rev };
}

export function repoType(type: string | undefined): RepoType {
  const t = type ?? 'model';
  if (t !== 'model' && t !== 'dataset' && t !== 'space')
    throw new CliError(EXIT.usage, `--type must be model, dataset or space, not "${t}"`);
  return t;
}

/** `/api/models/org/x/revision/main` (the info route at a revision). */
export function infoPath(repo: RepoSpec, blobs = true): string {
  return `/api/${repo.type}s/${repo.id}/revision/${encodeURIComponent(repo.revision)}${blobs ? '?blobs=true' : ''}`;
}

/** `/org/x/resolve/<commit>/a/b.bin`, `/datasets/org/x/resolve/…`. */
export function resolvePath(type: RepoType, id: string, commit: string, path: string): string {
  const prefix = type === 'model' ? '' : `/${type}s`;
  return `${prefix}/${id}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}
