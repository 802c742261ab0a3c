import { RepoRef } from '@dingo/hub-protocol';

/**
 * The namespaces whose repos live on the mirror (`acme`, `research-*`, config `localNamespaces`):
 * never fetched from upstream, never subject to the upstream repo policy. A repo id without a
 * namespace is never local: it names an upstream repo.
 */
export class LocalNamespaces {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];

  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      if (p.endsWith('*')) this.prefixes.push(p.slice(0, -1).toLowerCase());
      else this.exact.add(p.toLowerCase());
    }
  }

  get any(): boolean {
    return this.exact.size > 0 || this.prefixes.length > 0;
  }

  includes(repo: RepoRef): boolean {
    const slash = repo.id.indexOf('/');
    if (slash <= 0) return false;
    const ns = repo.id.slice(0, slash).toLowerCase();
    return this.exact.has(ns) || this.prefixes.some((p) => ns.startsWith(p));
  }
}
