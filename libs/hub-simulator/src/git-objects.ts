import { createHash } from 'node:crypto';

// Real git object ids, so blob/tree/commit shas look and behave like the Hub's.

export function gitBlobHeader(size: number): string {
  return `blob ${size}\0`;
}

export function gitBlobSha1(content: Buffer | string): string {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(gitBlobHeader(buf.length)).update(buf).digest('hex');
}

export function lfsPointerText(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

export interface GitTreeEntry {
  name: string;
  kind: 'file' | 'directory';
  /** 40-hex object id. */
  oid: string;
}

/** Git orders tree entries bytewise by name, a directory comparing as if its name ended with '/'. */
export function compareGitNames(
  a: { name: string; kind: string },
  b: { name: string; kind: string },
): number {
  const ka = Buffer.from(a.kind === 'directory' ? `${a.name}/` : a.name);
  const kb = Buffer.from(b.kind === 'directory' ? `${b.name}/` : b.name);
  return Buffer.compare(ka, kb);
}

export function gitTreeSha1(entries: GitTreeEntry[]): string {
  const sorted = [...entries].sort(compareGitNames);
  const body = Buffer.concat(
    sorted.flatMap((e) => [
      Buffer.from(`${e.kind === 'directory' ? '40000' : '100644'} ${e.name}\0`),
      Buffer.from(e.oid, 'hex'),
    ]),
  );
  return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
}

export function gitCommitSha1(args: {
  tree: string;
  parent?: string;
  author: string;
  date: Date;
  message: string;
}): string {
  const ts = `${Math.floor(args.date.getTime() / 1000)} +0000`;
  const text =
    `tree ${args.tree}\n` +
    (args.parent ? `parent ${args.parent}\n` : '') +
    `author ${args.author} ${ts}\ncommitter ${args.author} ${ts}\n\n${args.message}\n`;
  const buf = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`commit ${buf.length}\0`).update(buf).digest('hex');
}
