import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root (deploy/validate/ is two levels down). */
export const ROOT = join(__dirname, '..', '..');

export function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** Files under `dir` (repository-relative), recursively, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

/**
 * Every document of a YAML file, as plain data. Merge keys (`<<: *anchor`) are resolved as
 * Compose resolves them. Throws on any syntax error or warning (duplicate keys included).
 */
export function parseYamlDocuments(path: string): unknown[] {
  const docs = parseAllDocuments(read(path), { merge: true, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const problems = list.flatMap((d) => [...d.errors, ...d.warnings]).map((e) => `${path}: ${e.message}`);
  if (problems.length) throw new Error(problems.join('\n'));
  return list.map((d) => d.toJS({ maxAliasCount: 1000 })).filter((d) => d !== null && d !== undefined);
}

export function parseYaml<T = Record<string, unknown>>(path: string): T {
  const docs = parseYamlDocuments(path);
  if (docs.length !== 1) throw new Error(`${path}: expected one YAML document, found ${docs.length}`);
  return docs[0] as T;
}

/** `KEY=VALUE` lines of an env file (comments and blank lines skipped; no quoting rules needed). */
export function parseEnvFile(path: string): Record<string, string> {
  return parseEnvText(read(path));
}

export function parseEnvText(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2].trim();
  }
  return vars;
}

/** The environment variable names that libs/config maps to config keys (its ENV_KEYS table). */
export function configEnvKeys(): Set<string> {
  const source = read('libs/config/src/load-config.ts');
  return new Set([...source.matchAll(/^\s+(DINGO_[A-Z0-9_]+|PORT):/gm)].map((m) => m[1]));
}
