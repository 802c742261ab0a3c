import { isRepoPattern, repoConditions, repoPatternMatches } from './repo-pattern';

describe('repo patterns', () => {
  it('accepts *, exact ids and globs within segments; refuses the rest', () => {
    for (const p of ['*', 'gpt2', 'org/name', 'org/*', 'org/llama-*', '*/base', 'Org.x/m_1-2'])
      expect(isRepoPattern(p)).toBe(true);
    for (const p of ['', 'a/b/c', '/org', 'org/', '../x', 'org/..', "org/' OR 1=1", 'org/%', 'a'.repeat(97)])
      expect(isRepoPattern(p)).toBe(false);
  });

  it('matches within one segment, case-insensitively, on the right repo type', () => {
    const m = (pattern: string, id: string, type = 'model', repoType: 'model' | 'dataset' | '*' = '*') =>
      repoPatternMatches(pattern, repoType, { type, id });
    expect(m('*', 'gpt2')).toBe(true);
    expect(m('*', 'org/x')).toBe(true);
    expect(m('org/*', 'org/x')).toBe(true);
    expect(m('org/*', 'ORG/X')).toBe(true);
    expect(m('org/*', 'org')).toBe(false);
    expect(m('org/*', 'org2/x')).toBe(false);
    expect(m('org/*', 'other/org/x')).toBe(false);
    expect(m('org/llama-*', 'org/llama-3')).toBe(true);
    expect(m('org/llama-*', 'org/mistral')).toBe(false);
    expect(m('org/a.b', 'org/aXb')).toBe(false);
    expect(m('org/x', 'org/x', 'dataset', 'model')).toBe(false);
    expect(m('org/x', 'org/x', 'dataset', 'dataset')).toBe(true);
  });

  it('turns a grant into CASL conditions', () => {
    expect(repoConditions('*', '*')).toEqual({});
    expect(repoConditions('model', '*')).toEqual({ type: 'model' });
    expect(repoConditions('*', 'org/*')).toEqual({ id: { $regex: /^org\/[^/]*$/i } });
  });
});
