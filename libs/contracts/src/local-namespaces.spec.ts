import { LocalNamespaces } from './local-namespaces';

describe('LocalNamespaces', () => {
  const local = new LocalNamespaces(['acme', 'research-*']);
  it.each([
    ['acme/model', true],
    ['ACME/model', true],
    ['research-nlp/x', true],
    ['research/x', false],
    ['acme-other/x', false],
    ['acme', false], // no namespace: an upstream repo
    ['other/acme', false],
  ])('%s -> %s', (id, expected) => {
    expect(local.includes({ type: 'model', id })).toBe(expected);
  });
  it('knows when there are none', () => {
    expect(new LocalNamespaces([]).any).toBe(false);
    expect(local.any).toBe(true);
  });
});
