import { loadConfig } from '@dingo/config';
import { DataSource } from 'typeorm';
import { openMetadataDataSource } from './data-source';
import { TypeOrmMetadataStore } from './typeorm-metadata-store';

describe('TypeOrmMetadataStore on SQLite', () => {
  let ds: DataSource;
  let store: TypeOrmMetadataStore;

  beforeAll(async () => {
    ds = await openMetadataDataSource(loadConfig({}, { database: { type: 'sqlite', url: ':memory:' } }));
    store = new TypeOrmMetadataStore(ds);
  });
  afterAll(() => ds.destroy());

  it('runs migrations and round-trips every record', async () => {
    await store.putRevision({ repoType: 'model', repoId: 'o/m', revision: 'main', commit: 'a'.repeat(40), fetchedAt: 1 });
    await store.putRevision({ repoType: 'model', repoId: 'o/m', revision: 'main', commit: 'b'.repeat(40), fetchedAt: 2 });
    expect(await store.getRevision('model', 'o/m', 'main')).toMatchObject({ commit: 'b'.repeat(40), fetchedAt: 2 });
    expect(await store.getRevision('dataset', 'o/m', 'main')).toBeUndefined();

    const file = { repoType: 'model' as const, repoId: 'o/m', commit: 'b'.repeat(40), path: 'a/b.bin', size: 5_000_000_000, blobId: 'c'.repeat(40), sha256: 'd'.repeat(64), lfs: true, fetchedAt: 3 };
    await store.putFile(file);
    expect(await store.getFile('model', 'o/m', 'b'.repeat(40), 'a/b.bin')).toEqual(file);

    await store.putBlob({ key: 'sha256-x', size: 10, chunkSize: 4, state: 'partial', createdAt: 1, lastAccessAt: 1 });
    await store.setBlobState('sha256-x', 'verified');
    expect((await store.getBlob('sha256-x'))?.state).toBe('verified');

    await store.putChunk({ blobKey: 'sha256-x', index: 1, size: 4, sha256: 'e'.repeat(64) });
    await store.putChunk({ blobKey: 'sha256-x', index: 0, size: 4, sha256: 'f'.repeat(64) });
    expect((await store.listChunks('sha256-x')).map((c) => c.index)).toEqual([0, 1]);
    await store.deleteChunk('sha256-x', 0);
    expect((await store.listChunks('sha256-x')).map((c) => c.index)).toEqual([1]);

    await store.putApiCache({ key: 'k'.repeat(64), repoKey: 'models/o/m', url: '/api/models/o/m', status: 200, headers: { etag: 'x' }, body: Buffer.from('{"a":1}'), fetchedAt: 1, immutable: false });
    const cached = await store.getApiCache('k'.repeat(64));
    expect(cached?.body.toString()).toBe('{"a":1}');
    expect(cached?.headers).toEqual({ etag: 'x' });
    expect(cached?.immutable).toBe(false);
  });
});
