/**
 * Compose's variable interpolation, enough to check our file: `$$`, `$VAR`, `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`.
 */
export interface VariableUse {
  name: string;
  /** Has a default (`:-` / `-`). */
  hasDefault: boolean;
  /** Fails when unset (`:?` / `?`). */
  required: boolean;
}

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Variables a string refers to (escaped `$$` excluded). */
export function variablesIn(text: string): VariableUse[] {
  const uses: VariableUse[] = [];
  for (const m of text.matchAll(VARIABLE)) {
    if (m[0] === '$$') continue;
    const op = m[2] ?? '';
    uses.push({ name: m[1] ?? m[4], hasDefault: op.endsWith('-'), required: op.endsWith('?') });
  }
  return uses;
}

export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(VARIABLE, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = vars[name];
    const unset = op?.startsWith(':') ? !value : value === undefined;
    if (op?.endsWith('?') && unset) throw new Error(`required variable ${name} is missing: ${arg}`);
    if (op?.endsWith('-') && unset) return arg ?? '';
    return value ?? '';
  });
}

/** Applies `fn` to every string in a parsed YAML/JSON value (keys left as they are). */
export function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  }
  return value;
}

/** Every string in a parsed value. */
export function allStrings(value: unknown): string[] {
  const out: string[] = [];
  mapStrings(value, (s) => (out.push(s), s));
  return out;
}
