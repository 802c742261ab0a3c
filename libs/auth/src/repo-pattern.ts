import type { RepoTypeOrAny } from './access-model';

/**
 * Repo patterns used by grants and policies: `*` (everything), an exact id (`org/name`, `gpt2`),
 * or a glob where `*` stands for any characters within one segment (`org/*`, `org/llama-*`).
 */
export const REPO_PATTERN = /^(\*|[A-Za-z0-9*][A-Za-z0-9._*-]{0,95}(\/[A-Za-z0-9*][A-Za-z0-9._*-]{0,95})?)$/;
export const REPO_PATTERN_HINT =
  '"*", an exact repo id ("org/name") or a glob within segments ("org/*", "org/llama-*")';

export function isRepoPattern(pattern: string): boolean {
  return REPO_PATTERN.test(pattern) && !pattern.includes('..');
}

/**
 * The pattern as an anchored, case-insensitive regex. The Hub treats repo ids case-insensitively
 * (it redirects), so `Meta-Llama/x` must not slip past a rule on `meta-llama/*`.
 */
export function repoPatternRegex(pattern: string): RegExp {
  if (pattern === '*') return /^.*$/i;
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}$`, 'i');
}

export function repoPatternMatches(
  pattern: string,
  repoType: RepoTypeOrAny,
  ref: { type: string; id: string },
): boolean {
  return (repoType === '*' || repoType === ref.type) && repoPatternRegex(pattern).test(ref.id);
}

/** CASL conditions on a `Repo` subject (`{type, id}`) for a grant's type and pattern. */
export function repoConditions(repoType: RepoTypeOrAny, pattern: string): Record<string, unknown> {
  const conditions: Record<string, unknown> = {};
  if (repoType !== '*') conditions.type = repoType;
  if (pattern !== '*') conditions.id = { $regex: repoPatternRegex(pattern) };
  return conditions;
}
