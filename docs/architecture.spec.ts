import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docs/architecture.md names classes and functions with their files: "`Name` (`path.ts`)" or
 * "`Name.method` (`path.ts`)". Every file must exist and declare the name, every method named on
 * a class must be in that class's file, and every path the page mentions must exist.
 */
const root = join(__dirname, '..');
const doc = readFileSync(join(__dirname, 'architecture.md'), 'utf8');
const source = (file: string) => readFileSync(join(root, file), 'utf8');

const named = [...doc.matchAll(/`([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*))?` \(`([^`]+)`\)/g)].map(
  ([, name, member, file]) => ({ name, member, file }),
);
const fileOf = new Map(named.map(({ name, file }) => [name, file]));
const members = [...doc.matchAll(/`([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*)`/g)]
  .map(([, name, member]) => ({ name, member, file: fileOf.get(name) }))
  .filter((m): m is { name: string; member: string; file: string } => m.file !== undefined);
const paths = [...doc.matchAll(/`((?:apps|libs|docs)\/[^`\s]+|[\w./-]+\.(?:ts|md))`/g)].map(([, p]) => p);

function declares(text: string, name: string): boolean {
  return new RegExp(`\\b(class|function|const|interface|type|enum)\\s+${name}\\b`).test(text);
}

function hasMember(text: string, member: string): boolean {
  // A method, a property (arrow-function members such as a middleware), or a getter.
  return new RegExp(`(^|\\s)(async\\s+|readonly\\s+|get\\s+|static\\s+)*${member}\\s*[(<=:]`, 'm').test(text);
}

describe('docs/architecture.md stays true to the code', () => {
  it('names enough of the code to be worth checking', () => {
    expect(named.length).toBeGreaterThan(40);
  });

  it.each(paths)('path %s exists', (path) => {
    expect(existsSync(join(root, path))).toBe(true);
  });

  it.each(named.map((n) => [`${n.name} in ${n.file}`, n] as const))('%s is declared there', (_, n) => {
    expect(existsSync(join(root, n.file))).toBe(true);
    expect(declares(source(n.file), n.name)).toBe(true);
  });

  it.each(members.map((m) => [`${m.name}.${m.member}`, m] as const))('%s exists', (_, m) => {
    expect(hasMember(source(m.file), m.member)).toBe(true);
  });
});

describe('every app and lib has its README', () => {
  const projects = ['apps', 'libs'].flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, dir, d.name, 'project.json')))
      .map((d) => `${dir}/${d.name}`),
  );

  it.each(projects)('%s/README.md says what it must not import', (project) => {
    const readme = join(root, project, 'README.md');
    expect(existsSync(readme)).toBe(true);
    expect(readFileSync(readme, 'utf8')).toMatch(/must\s+not\s+import|may\s+import\s+only/);
  });
});
