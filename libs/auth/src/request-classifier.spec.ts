import { HubError } from '@dingo/hub-protocol';
import { classifyHubRequest, rejectDotSegments } from './request-classifier';

const checks = (method: string, url: string, body?: unknown, ns?: string) => {
  const access = classifyHubRequest(method, url, body, ns);
  return access.kind === 'open'
    ? 'open'
    : access.checks.map((c) => (c.repo ? `${c.action} ${c.repo.type}:${c.repo.id}` : c.action));
};

describe('classifyHubRequest', () => {
  it('keeps monitoring open', () => {
    expect(checks('GET', '/health')).toBe('open');
    expect(checks('GET', '/metrics?x=1')).toBe('open');
  });

  it('reads: resolve and API reads, on the repo the Hub controller will serve', () => {
    expect(checks('GET', '/org/m/resolve/main/config.json')).toEqual(['read model:org/m']);
    expect(checks('HEAD', '/datasets/org/d/resolve/refs%2Fconvert%2Fparquet/x.parquet')).toEqual([
      'read dataset:org/d',
    ]);
    expect(checks('GET', '/gpt2/resolve/main/config.json')).toEqual(['read model:gpt2']);
    expect(checks('GET', '/api/models/org/m')).toEqual(['read model:org/m']);
    expect(checks('GET', '/api/datasets/org/d/tree/main/sub?recursive=true')).toEqual(['read dataset:org/d']);
    expect(checks('GET', '/api/spaces/org/s/revision/v1')).toEqual(['read space:org/s']);
    expect(checks('POST', '/api/models/org/m/paths-info/main')).toEqual(['read model:org/m']);
  });

  it('lists: repo listings and other API GETs; whoami needs nothing', () => {
    expect(checks('GET', '/api/models?search=llama')).toEqual(['list']);
    expect(checks('GET', '/api/datasets')).toEqual(['list']);
    expect(checks('GET', '/api/whoami-v2')).toEqual([]);
  });

  it('uploads and deletes', () => {
    expect(checks('POST', '/api/models/org/m/commit/main')).toEqual(['upload model:org/m']);
    expect(checks('POST', '/api/datasets/org/d/preupload/main')).toEqual(['upload dataset:org/d']);
    expect(checks('POST', '/api/repos/create', { name: 'm', organization: 'org' })).toEqual([
      'upload model:org/m',
    ]);
    expect(checks('POST', '/api/repos/create', { name: 'm', type: 'dataset' }, 'alice')).toEqual([
      'upload dataset:alice/m',
    ]);
    expect(checks('DELETE', '/api/repos/delete', { name: 'm', organization: 'org', type: 'space' })).toEqual([
      'delete space:org/m',
    ]);
    expect(checks('POST', '/api/repos/move', { fromRepo: 'org/a', toRepo: 'org2/b' })).toEqual([
      'delete model:org/a',
      'upload model:org2/b',
    ]);
    expect(checks('PUT', '/api/models/org/m/settings', {})).toEqual(['delete model:org/m']);
    expect(checks('DELETE', '/api/models/org/m/branch/dev')).toEqual(['delete model:org/m']);
    expect(checks('POST', '/org/m.git/info/lfs/objects/batch')).toEqual(['upload model:org/m']);
    expect(checks('POST', '/api/something-else')).toEqual(['manage']);
  });

  it('refuses bodies and paths that could name one repo to the guard and another upstream', () => {
    expect(() => checks('POST', '/api/repos/create', { name: 'a/b/c' })).toThrow(HubError);
    expect(() => checks('POST', '/api/repos/create', { name: 1 })).toThrow(/name/);
    expect(() => checks('POST', '/api/repos/create', { name: 'm', type: 'weird' })).toThrow(/type/);
    expect(() => checks('GET', '/org%2Fm/resolve/main/x')).toThrow(HubError);
    for (const path of [
      '/api/models/a/b/../../c/d',
      '/api/models/a/b/%2e%2E/x',
      '/a/b/resolve/main/..%2fx',
      '/x/%5c..%5cy',
    ]) {
      expect(() => rejectDotSegments(path)).toThrow(/Dot segments/);
    }
    expect(() => rejectDotSegments('/a/%E0%A4%A')).toThrow(/Malformed/);
    expect(() => rejectDotSegments('/api/models/a/b/refs%2Fpr%2F1')).not.toThrow();
  });
});
