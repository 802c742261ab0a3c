import { loadConfig, ConfigError, parseSize } from './load-config';

describe('loadConfig', () => {
  it('gives working defaults on a bare machine', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8090);
    expect(c.upstreams).toEqual(['https://huggingface.co']);
    expect(c.chunkSizeBytes).toBe(16 * 1024 * 1024);
    expect(c.database.type).toBe('sqlite');
  });

  it('reads env vars and parses sizes', () => {
    const c = loadConfig({
      DINGO_PORT: '9000',
      DINGO_CHUNK_SIZE: '32MB',
      DINGO_UPSTREAMS: 'http://a:1/, http://b:2',
    });
    expect(c.port).toBe(9000);
    expect(c.chunkSizeBytes).toBe(32 * 1024 * 1024);
    expect(c.upstreams).toEqual(['http://a:1', 'http://b:2']);
  });

  it('names the bad key in a clear message', () => {
    expect(() => loadConfig({ DINGO_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ DINGO_PORT: 'eighty' })).toThrow(/port/);
    expect(() => loadConfig({ DINGO_UPSTREAMS: 'ftp://x' })).toThrow(/upstreams/);
    expect(() => loadConfig({ DINGO_CHUNK_SIZE: '1kb' })).toThrow(/at least 256 KiB/);
    expect(() => loadConfig({ DINGO_CHUNK_SIZE: 'big' })).toThrow(/DINGO_CHUNK_SIZE/);
  });

  it('rejects unknown keys from a config file', () => {
    expect(() => loadConfig({}, { nope: 1 } as never)).toThrow(/nope|Unrecognized/);
  });

  it('reads the Xet switch (HTTP-only by default)', () => {
    expect(loadConfig({}).xet.mode).toBe('http');
    const c = loadConfig({ DINGO_XET_MODE: 'serve', DINGO_XET_TOKEN_TTL_SECONDS: '600' });
    expect(c.xet).toEqual({ mode: 'serve', tokenTtlSeconds: 600 });
    expect(() => loadConfig({ DINGO_XET_MODE: 'both' })).toThrow(/xet\.mode/);
    expect(() => loadConfig({ DINGO_XET_TOKEN_SECRET: 'short' })).toThrow(/xet.tokenSecret/);
  });

  it('reads the local namespaces of hosted repos (none by default)', () => {
    expect(loadConfig({}).localNamespaces).toEqual([]);
    expect(loadConfig({ DINGO_LOCAL_NAMESPACES: 'acme, research-*' }).localNamespaces).toEqual([
      'acme',
      'research-*',
    ]);
    expect(() => loadConfig({ DINGO_LOCAL_NAMESPACES: 'a/b' })).toThrow(/localNamespaces/);
  });

  it('parses sizes in binary units', () => {
    expect(parseSize('512k', 'x')).toBe(512 * 1024);
    expect(parseSize('1GiB', 'x')).toBe(1024 ** 3);
  });
});
