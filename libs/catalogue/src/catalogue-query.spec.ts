import { HubError } from '@dingo/hub-protocol';
import { parseCatalogueQuery, queryObject } from './catalogue-query';
import { catalogueSql, likeEscaped } from './catalogue-sql';

const badRequest = (fn: () => unknown): HubError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).status).toBe(400);
    return err as HubError;
  }
  throw new Error('expected a 400');
};

describe('parseCatalogueQuery', () => {
  it('gives defaults: sort by id ascending, 100 per page, from the start', () => {
    expect(parseCatalogueQuery({}, true)).toEqual({
      tags: [],
      formats: [],
      cachedOnly: false,
      sort: 'id',
      descending: false,
      limit: 100,
      offset: 0,
      full: false,
    });
  });

  it('reads every filter, sizes with units, and the Hub sort direction', () => {
    const q = parseCatalogueQuery(
      {
        search: 'Llama',
        author: 'meta',
        pipeline_tag: 'text-generation',
        library: 'transformers',
        filter: ['en', 'license:mit,chat'],
        format: 'GGUF,safetensors',
        minSize: '1.5GB',
        maxSize: '2GiB',
        cached: 'true',
        sort: 'downloads',
        direction: '1',
        limit: '20',
      },
      true,
    );
    expect(q).toMatchObject({
      search: 'Llama',
      author: 'meta',
      task: 'text-generation',
      library: 'transformers',
      tags: ['en', 'license:mit', 'chat'],
      formats: ['gguf', 'safetensors'],
      minSize: 1_500_000_000,
      maxSize: 2 * 1024 ** 3,
      cachedOnly: true,
      sort: 'downloads',
      descending: false,
      limit: 20,
    });
    expect(parseCatalogueQuery({ sort: 'size' }, true).descending).toBe(true);
    expect(parseCatalogueQuery({ minSize: '512' }, true).minSize).toBe(512);
    expect(parseCatalogueQuery({ minSize: '10MiB' }, true).minSize).toBe(10 * 1024 * 1024);
  });

  it('refuses bad values with a 400 naming the parameter', () => {
    expect(badRequest(() => parseCatalogueQuery({ sort: 'stars' }, true)).message).toMatch(
      /^Invalid request query: sort:/,
    );
    expect(badRequest(() => parseCatalogueQuery({ limit: '0' }, true)).message).toMatch(
      /limit: must be between 1 and 1000/,
    );
    expect(badRequest(() => parseCatalogueQuery({ limit: 'ten' }, true)).message).toMatch(/limit:/);
    expect(badRequest(() => parseCatalogueQuery({ minSize: '-1' }, true)).message).toMatch(
      /minSize: must be a size/,
    );
    expect(badRequest(() => parseCatalogueQuery({ minSize: '2GB', maxSize: '1GB' }, true)).message).toMatch(
      /minSize: must not be greater than maxSize/,
    );
    expect(badRequest(() => parseCatalogueQuery({ cursor: 'bm9wZQ' }, true)).message).toMatch(/cursor:/);
    expect(badRequest(() => parseCatalogueQuery({ search: 'a\u0000b' }, true)).message).toMatch(/search:/);
    expect(badRequest(() => parseCatalogueQuery({ task: 'a', pipeline_tag: 'b' }, true)).message).toMatch(
      /disagree/,
    );
  });

  it('refuses unknown keys only when strict (admin API); the Hub listing ignores them', () => {
    expect(badRequest(() => parseCatalogueQuery({ colour: 'red' }, true)).message).toMatch(/colour/);
    expect(parseCatalogueQuery({ colour: 'red', 'expand[]': 'x' }, false).sort).toBe('id');
  });

  it('reads repeated query keys as arrays', () => {
    expect(queryObject('/api/models?filter=a&filter=b&search=x')).toEqual({
      filter: ['a', 'b'],
      search: 'x',
    });
    expect(queryObject('/api/models')).toEqual({});
  });
});

describe('catalogueSql', () => {
  const q = (input: Record<string, unknown>) => catalogueSql(parseCatalogueQuery(input, true));

  it('selects every entry with its cached bytes, ordered by id, without filters', () => {
    const { sql, params } = q({});
    expect(sql).not.toMatch(/WHERE/);
    expect(sql).toMatch(/LEFT JOIN \(SELECT/);
    expect(sql).toMatch(/ORDER BY r\.`repoId` ASC, r\.`repoType` ASC, r\.`repoId` ASC$/);
    expect(params).toEqual([]);
  });

  it('binds every filter as a parameter, in order', () => {
    const { sql, params } = q({
      type: 'model',
      search: '50%_Off',
      task: 'fill-mask',
      library: 'timm',
      filter: 'en',
      format: 'onnx',
      minSize: '100',
      maxSize: '200',
      cached: '1',
      sort: 'size',
    });
    expect(params).toEqual([
      'model',
      '%50!%!_off%',
      'fill-mask',
      'timm',
      '%"en"%',
      'en',
      'en',
      '%,onnx,%',
      100,
      200,
    ]);
    expect(sql).toMatch(/COALESCE\(c\.cachedBytes, 0\) > 0/);
    expect(sql).toMatch(/ORDER BY COALESCE\(r\.`totalBytes`, c\.cachedBytes, 0\) DESC/);
    // Nothing the caller typed reaches the statement's text.
    expect(sql).not.toMatch(/fill-mask|timm|onnx|Off/);
  });

  it('escapes LIKE wildcards', () => {
    expect(likeEscaped('a%b_c!d')).toBe('a!%b!_c!!d');
  });
});
