import { loadConfig } from './load-config';

describe('ModelScope configuration', () => {
  it('is off by default', () => {
    const c = loadConfig({});
    expect(c.modelscope).toEqual({
      idMap: {},
      revision: 'master',
      maxRevisions: 3,
      listingTtlSeconds: 300,
      unseenRepos: 'mapped',
      parallel: false,
    });
  });

  it('reads DINGO_MODELSCOPE_* and the id map as JSON or hub=modelscope pairs', () => {
    const c = loadConfig({
      DINGO_MODELSCOPE_URL: 'https://www.modelscope.cn',
      DINGO_MODELSCOPE_ID_MAP: 'google=AI-ModelScope, org/repo=ms-org/ms-repo',
      DINGO_MODELSCOPE_REVISION: 'main',
      DINGO_MODELSCOPE_MAX_REVISIONS: '0',
      DINGO_MODELSCOPE_LISTING_TTL_SECONDS: '10',
      DINGO_MODELSCOPE_UNSEEN_REPOS: 'none',
      DINGO_MODELSCOPE_PARALLEL: 'true',
    });
    expect(c.modelscope).toEqual({
      url: 'https://www.modelscope.cn',
      idMap: { google: 'AI-ModelScope', 'org/repo': 'ms-org/ms-repo' },
      revision: 'main',
      maxRevisions: 0,
      listingTtlSeconds: 10,
      unseenRepos: 'none',
      parallel: true,
    });
    expect(loadConfig({ DINGO_MODELSCOPE_ID_MAP: '{"meta-llama":"LLM-Research"}' }).modelscope.idMap).toEqual(
      {
        'meta-llama': 'LLM-Research',
      },
    );
  });

  it('refuses malformed maps and URLs with the key named', () => {
    expect(() => loadConfig({ DINGO_MODELSCOPE_ID_MAP: 'org' })).toThrow(/DINGO_MODELSCOPE_ID_MAP/);
    expect(() => loadConfig({ DINGO_MODELSCOPE_ID_MAP: '{bad' })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ DINGO_MODELSCOPE_ID_MAP: 'org=ms/repo' })).toThrow(/modelscope.idMap/);
    expect(() => loadConfig({ DINGO_MODELSCOPE_URL: 'ftp://ms' })).toThrow(/modelscope/);
    expect(() => loadConfig({ DINGO_MODELSCOPE_UNSEEN_REPOS: 'some' })).toThrow(/unseenRepos/);
  });
});
