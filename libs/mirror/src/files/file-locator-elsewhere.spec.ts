import { Readable } from 'node:stream';
import { blobKeyFor } from '@dingo/chunk-store';
import { ChunkSource, DescribedFile, UpstreamRouter } from '@dingo/upstream';
import { FakeUpstream, unreachable } from '@dingo/upstream/testing';
import { InMemoryMetadataStore } from '@dingo/metadata-store/testing';
import { CachedRepoAccess } from '../access/cached-repo-access';
import { CommitManifests } from './commit-manifests';
import { FileLocator } from './file-locator';
import { RevisionCache } from './revision-cache';

const HUB = 'https://hub.test';
const COMMIT = 'f'.repeat(40);
const described: DescribedFile = { commit: 'e'.repeat(40), size: 123, sha256: 'd'.repeat(64) };

/** A source that describes `w.bin` of any repo, and records what it was asked. */
class DescribingSource implements ChunkSource {
  readonly id = 'elsewhere';
  readonly asked: string[] = [];
  async covers(): Promise<boolean> {
    return true;
  }
  async openRange(): Promise<Readable> {
    return Readable.from([]);
  }
  async describe(repo: { id: string }, path: string): Promise<DescribedFile | undefined> {
    this.asked.push(`${repo.id}:${path}`);
    return path === 'w.bin' ? described : undefined;
  }
}

function core() {
  const meta = new InMemoryMetadataStore();
  const upstream = new FakeUpstream((req) => unreachable(req.url));
  const router = new UpstreamRouter(upstream, [HUB]);
  const access = new CachedRepoAccess(meta, 60_000, 3_600_000);
  const revisions = new RevisionCache(meta, 60_000);
  const source = new DescribingSource();
  const locator = new FileLocator(
    meta,
    router,
    access,
    new CommitManifests(meta, router),
    revisions,
    undefined,
    [source],
  );
  return { meta, access, revisions, source, locator };
}

describe('FileLocator: a repo the Hub was never reached for, described by another source', () => {
  const route = (revision: string, path = 'w.bin', id = 'org/m') => ({
    repo: { type: 'model' as const, id },
    revision,
    path,
  });

  it("locates the default branch's file by the source's commit and sha256 (an LFS file), recording nothing", async () => {
    const c = core();
    const file = await c.locator.locate(route('main'));
    expect(file).toEqual({
      repo: { type: 'model', id: 'org/m' },
      commit: described.commit,
      path: 'w.bin',
      size: 123,
      lfs: true,
      blobId: null,
      sha256: described.sha256,
      blobKey: blobKeyFor({ sha256: described.sha256 }),
      via: 'offline',
    });
    expect(await c.meta.getFile('model', 'org/m', described.commit, 'w.bin')).toBeFalsy();
  });

  it('is 503 for other revisions, files the source lacks, repos known gated, and revisions the Hub named', async () => {
    const c = core();
    await expect(c.locator.locate(route('v1.0'))).rejects.toMatchObject({ status: 503 });
    await expect(c.locator.locate(route('main', 'other.bin'))).rejects.toMatchObject({ status: 503 });
    await c.access.learnVisibility({ type: 'model', id: 'org/gated' }, 'gated');
    await expect(c.locator.locate(route('main', 'w.bin', 'org/gated'))).rejects.toMatchObject({
      status: 503,
    });
    expect(c.source.asked).toEqual(['org/m:other.bin']);
    // The Hub named main's commit once: its word (or its absence) stands, not the other source's.
    await c.revisions.remember({ type: 'model', id: 'org/known' }, 'main', COMMIT);
    await expect(c.locator.locate(route('main', 'w.bin', 'org/known'))).rejects.toMatchObject({
      status: 503,
    });
    expect(c.source.asked).toEqual(['org/m:other.bin']);
  });
});
