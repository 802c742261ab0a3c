/** A keepalived.conf as a tree of `keyword args... { children }` entries. */
export interface KeepalivedNode {
  key: string;
  args: string[];
  children: KeepalivedNode[];
}

export function parseKeepalived(text: string): KeepalivedNode[] {
  const root: KeepalivedNode = { key: '', args: [], children: [] };
  const stack = [root];
  text.split('\n').forEach((raw, i) => {
    // `#` and `!` start comments (keepalived accepts both); quoted strings keep theirs.
    const line = raw.replace(/\s[#!].*$|^[#!].*$/, '').trim();
    if (!line) return;
    const tokens = line.match(/"[^"]*"|\{|\}|[^\s{}]+/g) ?? [];
    let current: KeepalivedNode | undefined;
    for (const token of tokens) {
      if (token === '{') {
        if (!current) throw new Error(`line ${i + 1}: "{" without a keyword`);
        stack.push(current);
        current = undefined;
      } else if (token === '}') {
        if (stack.length === 1) throw new Error(`line ${i + 1}: unbalanced "}"`);
        stack.pop();
        current = undefined;
      } else if (!current) {
        current = { key: token, args: [], children: [] };
        stack[stack.length - 1].children.push(current);
      } else {
        current.args.push(token.replace(/^"|"$/g, ''));
      }
    }
  });
  if (stack.length !== 1) throw new Error('unbalanced "{": a block is not closed');
  return root.children;
}

export function find(nodes: KeepalivedNode[], key: string): KeepalivedNode[] {
  return nodes.filter((n) => n.key === key);
}

/** The first argument of the single `key` entry among `nodes`. */
export function value(nodes: KeepalivedNode[], key: string): string | undefined {
  return find(nodes, key)[0]?.args[0];
}
