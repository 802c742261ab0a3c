import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { blobKeyFor } from '@dingo/chunk-store';
import { loadConfig } from '@dingo/config';
import { RepoRef } from '@dingo/hub-protocol';
import { openMetadataDataSource, TypeOrmMetadataStore } from '@dingo/metadata-store';
import type { LocatedFile } from '@dingo/mirror';
import { Catalogue } from './catalogue';
import { CATALOGUE_ENTITIES } from './catalogue.entity';
import { parseCatalogueQuery } from './catalogue-query';
import { CATALOGUE_MIGRATIONS } from './migrations/1766000000000-catalogue';

const MARIADB = 'mysql://root@127.0.0.1:3306';
const extras = { entities: CATALOGUE_ENTITIES, migrations: CATALOGUE_MIGRATIONS };
const sha = (c: string) => c.repeat(40).slice(0, 40);
const hex64 = (c: string) => c.repeat(64);

interface Db {
  open(): Promise<DataSource>;
  close(): Promise<void>;
}

const sqlite = (): Db => {
  let dir: string;
  let ds: DataSource;
  return {
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
      ds = await openMetadataDataSource(
        loadConfig({}, { database: { type: 'sqlite', url: join(dir, 'meta.sqlite') } }),
        extras,
      );
      return ds;
    },
    async close() {
      await ds?.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const mariadb = (): Db => {
  const database = `dingo_cat_${randomBytes(6).toString('hex')}`;
  let ds: DataSource;
  const admin = async (sql: string) => {
    const conn = await createConnection(MARIADB);
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  };
  return {
    async open() {
      ds = await openMetadataDataSource(
        loadConfig({}, { database: { type: 'mysql', url: `${MARIADB}/${database}` } }),
        extras,
      );
      return ds;
    },
    async close() {
      await ds?.destroy();
      await admin(`DROP DATABASE IF EXISTS \`${database}\``);
    },
  };
};

/** Three repos as info answers describe them, and cached files of two of them. */
async function fill(ds: DataSource, catalogue: Catalogue) {
  const meta = new TypeOrmMetadataStore(ds);
  const info = (id: string, over: Record<string, unknown>) => ({
    id,
    author: id.split('/')[0],
    sha: sha(id[0]),
    private: false,
    gated: false,
    tags: [],
    downloads: 0,
    likes: 0,
    ...over,
  });
  const model = (id: string): RepoRef => ({ type: 'model', id });
  catalogue.recorder.repoInfo(
    model('org/llama-tiny'),
    info('org/llama-tiny', {
      pipeline_tag: 'text-generation',
      library_name: 'transformers',
      tags: ['en', 'license:apache-2.0'],
      downloads: 500,
      likes: 7,
      safetensors: { total: 1_000_000 },
      siblings: [
        { rfilename: 'config.json', size: 100, blobId: sha('c') },
        { rfilename: 'model.safetensors', size: 3000, blobId: sha('d'), lfs: { sha256: hex64('a') } },
      ],
    }),
  );
  catalogue.recorder.repoInfo(
    model('org/bert-gguf'),
    info('org/bert-gguf', {
      pipeline_tag: 'fill-mask',
      library_name: 'gguf',
      cardData: { license: 'mit' },
      downloads: 50,
      siblings: [{ rfilename: 'bert.Q4.gguf', size: 900_000 }],
    }),
  );
  catalogue.recorder.repoInfo(
    model('acme/secret'),
    info('acme/secret', { private: true, pipeline_tag: 'text-generation', siblings: [] }),
  );
  catalogue.recorder.repoInfo(
    { type: 'dataset', id: 'org/corpus' },
    info('org/corpus', { tags: ['en'], siblings: [{ rfilename: 'train.parquet', size: 10 }] }),
  );
  // Cached: llama's weights (verified) and config (partial), bert's gguf (verified).
  const files = [
    { repo: 'org/llama-tiny', path: 'model.safetensors', size: 3000, sha256: hex64('a'), blobId: null },
    { repo: 'org/llama-tiny', path: 'config.json', size: 100, sha256: null, blobId: sha('c') },
    { repo: 'org/bert-gguf', path: 'bert.Q4.gguf', size: 900_000, sha256: hex64('b'), blobId: null },
  ];
  for (const [i, f] of files.entries()) {
    await meta.putFile({
      repoType: 'model',
      repoId: f.repo,
      commit: sha(f.repo[0]),
      path: f.path,
      size: f.size,
      blobId: f.blobId ?? sha('e'),
      sha256: f.sha256,
      lfs: f.sha256 !== null,
      fetchedAt: Date.now(),
    });
    const key = blobKeyFor({ sha256: f.sha256, gitBlobId: f.blobId });
    await meta.putBlob({
      key,
      size: f.size,
      chunkSize: 1 << 20,
      state: i === 1 ? 'partial' : 'verified',
      createdAt: 1,
      lastAccessAt: 1,
    });
    const located: LocatedFile = {
      repo: model(f.repo),
      commit: sha(f.repo[0]),
      path: f.path,
      size: f.size,
      lfs: f.sha256 !== null,
      blobId: f.blobId,
      sha256: f.sha256,
      blobKey: key,
      via: 'upstream',
    };
    catalogue.recorder.fileServed(located, 0);
  }
  await catalogue.recorder.idle();
}

const suites: Array<[string, () => Db]> = [
  ['SQLite', sqlite],
  ['MariaDB', mariadb],
];

describe.each(suites)('Catalogue search on %s', (_name, makeDb) => {
  const db = makeDb();
  let catalogue: Catalogue;
  const admitted = new Set<string>();
  const ids = async (input: Record<string, unknown>, auth?: string) =>
    (await catalogue.search(parseCatalogueQuery(input, true), auth)).items.map((i) => i.id);

  beforeAll(async () => {
    const ds = await db.open();
    catalogue = new Catalogue(ds, async (repo, auth) => auth === 'Bearer ok' && admitted.has(repo.id));
    await fill(ds, catalogue);
  });
  afterAll(() => db.close());

  it('lists what the caller may download, in the Hub list shape with the catalogue facts', async () => {
    const page = await catalogue.search(parseCatalogueQuery({ type: 'model' }, true), undefined);
    expect(page.total).toBe(2);
    const llama = page.items.find((i) => i.id === 'org/llama-tiny')!;
    expect(llama).toMatchObject({
      id: 'org/llama-tiny',
      modelId: 'org/llama-tiny',
      author: 'org',
      pipeline_tag: 'text-generation',
      library_name: 'transformers',
      tags: ['en', 'license:apache-2.0'],
      downloads: 500,
      likes: 7,
      private: false,
      gated: false,
      sha: sha('o'),
      dingo: {
        type: 'model',
        license: 'apache-2.0',
        formats: ['safetensors'],
        parameters: 1_000_000,
        totalBytes: 3100,
        fileCount: 2,
        cachedBytes: 3000,
        cachedFiles: 1,
        revisions: [sha('o')],
        mirrorDownloads: 2,
      },
    });
    admitted.add('acme/secret');
    expect(await ids({ type: 'model' }, 'Bearer ok')).toEqual([
      'acme/secret',
      'org/bert-gguf',
      'org/llama-tiny',
    ]);
    expect(await ids({ type: 'model' }, 'Bearer other')).toEqual(['org/bert-gguf', 'org/llama-tiny']);
  });

  it('filters by search, author, task, library, tag, format, size and cached', async () => {
    expect(await ids({ search: 'LLAMA' })).toEqual(['org/llama-tiny']);
    expect(await ids({ search: '%' })).toEqual([]);
    expect(await ids({ author: 'org', type: 'dataset' })).toEqual(['org/corpus']);
    expect(await ids({ task: 'fill-mask' })).toEqual(['org/bert-gguf']);
    expect(await ids({ library: 'transformers' })).toEqual(['org/llama-tiny']);
    expect(await ids({ filter: 'en' })).toEqual(['org/corpus', 'org/llama-tiny']);
    expect(await ids({ filter: 'en,text-generation' })).toEqual(['org/llama-tiny']);
    expect(await ids({ format: 'gguf' })).toEqual(['org/bert-gguf']);
    expect(await ids({ format: 'parquet' })).toEqual(['org/corpus']);
    expect(await ids({ minSize: '1000', type: 'model' })).toEqual(['org/bert-gguf', 'org/llama-tiny']);
    expect(await ids({ minSize: '5KB' })).toEqual(['org/bert-gguf']);
    expect(await ids({ maxSize: '3100' })).toEqual(['org/corpus', 'org/llama-tiny']);
    expect(await ids({ cached: 'true' })).toEqual(['org/bert-gguf', 'org/llama-tiny']);
  });

  it('sorts and pages with a cursor', async () => {
    expect(await ids({ sort: 'downloads', type: 'model' })).toEqual(['org/llama-tiny', 'org/bert-gguf']);
    expect(await ids({ sort: 'cachedSize', direction: '-1', type: 'model' })).toEqual([
      'org/bert-gguf',
      'org/llama-tiny',
    ]);
    expect(await ids({ sort: 'size', direction: '1' })).toEqual([
      'org/corpus',
      'org/llama-tiny',
      'org/bert-gguf',
    ]);
    const first = await catalogue.search(parseCatalogueQuery({ limit: '2' }, true), undefined);
    expect(first.items.map((i) => i.id)).toEqual(['org/bert-gguf', 'org/corpus']);
    expect(first.total).toBe(3);
    const second = await catalogue.search(
      parseCatalogueQuery({ limit: '2', cursor: first.next }, true),
      undefined,
    );
    expect(second.items.map((i) => i.id)).toEqual(['org/llama-tiny']);
    expect(second.next).toBeUndefined();
  });

  it('answers Hub listings with Link paging', async () => {
    const answer = await catalogue.listing({
      type: 'model',
      url: '/api/models?search=org&limit=1&expand[]=x',
      publicBase: 'http://mirror:8090',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-total-count']).toBe('2');
    expect(answer.headers.link).toMatch(
      /^<http:\/\/mirror:8090\/api\/models\?search=org&limit=1&expand%5B%5D=x&cursor=[\w-]+>; rel="next"$/,
    );
    expect(JSON.parse(answer.body.toString()).map((i: { id: string }) => i.id)).toEqual(['org/bert-gguf']);
  });

  it('adds the file names with full=true when the commit file list is known', async () => {
    const ds = (catalogue as unknown as { ds: DataSource }).ds;
    await new TypeOrmMetadataStore(ds).putManifest({
      repoType: 'model',
      repoId: 'org/llama-tiny',
      commit: sha('o'),
      entries: [
        { path: 'config.json', size: 100, blobId: sha('c') },
        {
          path: 'model.safetensors',
          size: 3000,
          blobId: sha('d'),
          lfs: { sha256: hex64('a'), size: 3000, pointerSize: 130 },
        },
      ],
      fetchedAt: 1,
    });
    const page = await catalogue.search(
      parseCatalogueQuery({ full: 'true', type: 'model' }, true),
      undefined,
    );
    const byId = new Map(page.items.map((i) => [i.id, i]));
    expect(byId.get('org/llama-tiny')!.siblings).toEqual([
      { rfilename: 'config.json' },
      { rfilename: 'model.safetensors' },
    ]);
    expect(byId.get('org/bert-gguf')!.siblings).toBeUndefined();
  });

  it('finds files by sha256 or git blob id', async () => {
    const hits = await catalogue.byContent(hex64('a').toUpperCase());
    expect(hits).toEqual([
      expect.objectContaining({ type: 'model', id: 'org/llama-tiny', path: 'model.safetensors', size: 3000 }),
    ]);
    expect((await catalogue.byContent(sha('c'))).map((h) => h.path)).toEqual(['config.json']);
  });

  it('drops a file evicted (no longer verified) from the cached size at once', async () => {
    const ds = (catalogue as unknown as { ds: DataSource }).ds;
    await new TypeOrmMetadataStore(ds).setBlobState(blobKeyFor({ sha256: hex64('b') }), 'partial');
    expect(await ids({ cached: 'true' })).toEqual(['org/llama-tiny']);
  });
});
