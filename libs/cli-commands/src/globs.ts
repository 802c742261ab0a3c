/**
 * `fnmatch`-style patterns as huggingface_hub applies them to repo paths: `*` matches any run of
 * characters (also across `/`), `?` one character, `[abc]` a set; a pattern ending in `/` matches
 * everything below that folder.
 */
export function globToRegExp(pattern: string): RegExp {
  const p = pattern.endsWith('/') ? `${pattern}*` : pattern;
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = p.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Paths kept: matching any `include` (all when none), matching no `exclude`. */
export function selectPaths<T>(
  items: T[],
  pathOf: (t: T) => string,
  include: string[],
  exclude: string[],
): T[] {
  const inc = include.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  return items.filter((item) => {
    const path = pathOf(item);
    return (!inc.length || inc.some((r) => r.test(path))) && !exc.some((r) => r.test(path));
  });
}
