import type { RepoRef } from '@dingo/hub-protocol';
import type { ApiAnswer } from './api/api-proxy';
import type { LocatedFile } from './files/located-file';

/**
 * What the mirror learns about repos as it works, for an index kept outside it (the catalogue).
 * Calls are notifications: they must return at once and never throw.
 */
export interface RepoObserver {
  /** Upstream answered a repo's info route (`/api/{type}s/{id}[/revision/{rev}]`). */
  repoInfo?(repo: RepoRef, info: Record<string, unknown>): void;
  /** A file's bytes are being served (a GET, from byte `start`). */
  fileServed?(file: LocatedFile, start: number): void;
  /** The repo no longer exists on the mirror (a hosted repo was deleted). */
  repoRemoved?(repo: RepoRef): void;
}

/** A listing (`/api/models`, `/api/datasets`) as the mirror itself can answer it. */
export interface LocalListingRequest {
  type: 'model' | 'dataset';
  /** Path and query as the client sent them. */
  url: string;
  authorization?: string;
  publicBase: string;
  /** The caller's grants (absent: no access layer, only the upstream access rules apply). */
  mayRead?: (repo: RepoRef) => boolean;
}

/** Answers listings from what the mirror holds; `undefined`: not a listing it answers. */
export type LocalListings = (req: LocalListingRequest) => Promise<ApiAnswer | undefined>;

/** The listing a URL asks for, if it is one (`/api/models?…`, `/api/datasets`). */
export function listingTypeOf(url: string): LocalListingRequest['type'] | undefined {
  const path = url.split('?')[0].replace(/\/+$/, '');
  if (path === '/api/models') return 'model';
  if (path === '/api/datasets') return 'dataset';
  return undefined;
}

/** `?local=true` or `local=1`: the caller asks for the mirror's own listing. */
export function asksForLocal(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const value = new URLSearchParams(url.slice(q + 1)).get('local');
  return value === 'true' || value === '1';
}
