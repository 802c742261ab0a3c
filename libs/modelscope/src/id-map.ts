import { RepoRef } from '@dingo/hub-protocol';

/**
 * Hub organisations whose repos live under another namespace on ModelScope. Kept small and
 * limited to renames seen in ModelScope's own client sources and tests: `meta-llama` models are
 * published as `LLM-Research/...` (modelscope/modelscope tests/tools/test_to_ollama.py,
 * e.g. LLM-Research/Meta-Llama-3-8B-Instruct). Organisations that publish under the same name on
 * both sides (Qwen/Qwen3-0.6B, deepseek-ai/..., the default) need no entry. A configured entry
 * (DINGO_MODELSCOPE_ID_MAP) always wins.
 */
export const BUILTIN_ORG_RENAMES: Readonly<Record<string, string>> = Object.freeze({
  'meta-llama': 'LLM-Research',
});

/** A namespace/name id ModelScope can take in its URL path (its `model_id_to_group_owner_name`). */
const MS_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function ok(part: string): boolean {
  return MS_PART.test(part);
}

/**
 * Maps Hub repo ids to ModelScope ids: an exact `org/repo` entry first, then an `org` entry
 * (configured, then built in), else the same id. Only models and datasets exist on ModelScope
 * under the API the adapter speaks; spaces, and ids without a namespace, have no counterpart.
 */
export class ModelScopeIdMap {
  private readonly repos = new Map<string, string>();
  private readonly orgs = new Map<string, string>();

  constructor(
    configured: Record<string, string> = {},
    builtin: Record<string, string> = BUILTIN_ORG_RENAMES,
  ) {
    for (const [from, to] of Object.entries({ ...builtin, ...configured })) {
      (from.includes('/') ? this.repos : this.orgs).set(from.toLowerCase(), to);
    }
  }

  /** Whether an entry (configured, or a built-in rename) names this repo's ModelScope id, rather than the same name. */
  isMapped(repo: RepoRef): boolean {
    const org = repo.id.split('/')[0].toLowerCase();
    return this.repos.has(repo.id.toLowerCase()) || this.orgs.has(org);
  }

  toModelScope(repo: RepoRef): string | undefined {
    if (repo.type !== 'model' && repo.type !== 'dataset') return undefined;
    const [org, name, ...rest] = repo.id.split('/');
    if (!org || !name || rest.length) return undefined;
    const exact = this.repos.get(repo.id.toLowerCase());
    if (exact) return exact;
    const mapped = this.orgs.get(org.toLowerCase()) ?? org;
    if (!ok(mapped) || !ok(name)) return undefined;
    return `${mapped}/${name}`;
  }
}
