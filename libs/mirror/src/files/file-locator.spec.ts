import { HubError } from '@dingo/hub-protocol';
import { FakeAnswer, unreachable } from '@dingo/upstream/testing';
import { COMMIT, metadataCore } from '../testing/unit-harness';

const repo = { type: 'model' as const, id: 'o/m' };
const BLOB_ID = 'b'.repeat(40);
const SHA256 = 'e'.repeat(64);
const OTHER_COMMIT = 'd'.repeat(40);

/** The Hub's HEAD answer for a regular file (git blob id as ETag) at `commit`. */
function regularHead(commit = COMMIT, size = 12): FakeAnswer {
  return {
    status: 200,
    headers: { 'x-repo-commit': commit, etag: `"${BLOB_ID}"`, 'content-length': String(size) },
  };
}

describe('FileLocator', () => {
  let now: number;
  let core: ReturnType<typeof metadataCore>;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    core = metadataCore({ revisionTtlMs: 60_000 });
  });
  afterEach(() => jest.restoreAllMocks());

  const heads = () => core.upstream.requests.filter((r) => r.method === 'HEAD').map((r) => r.url);
  const headAnswers = (answer: (url: string) => FakeAnswer) =>
    core.upstream.answer((req) => (req.method === 'HEAD' ? answer(req.url) : { status: 404 }));

  it('a branch: asks upstream once, then trusts what it learned for the revision TTL', async () => {
    headAnswers(() => regularHead());
    const first = await core.locator.locate({ repo, revision: 'main', path: 'config.json' });
    expect(first).toMatchObject({
      commit: COMMIT,
      size: 12,
      lfs: false,
      blobId: BLOB_ID,
      blobKey: `gitsha1-${BLOB_ID}`,
      via: 'upstream',
    });
    expect(heads()).toEqual(['https://hub.test/o/m/resolve/main/config.json']);
    expect(await core.meta.getRevision('model', 'o/m', 'main')).toMatchObject({ commit: COMMIT });
    now += 59_000;
    expect(await core.locator.locate({ repo, revision: 'main', path: 'config.json' })).toMatchObject({
      commit: COMMIT,
      via: 'known',
    });
    expect(heads()).toHaveLength(1);
    // Past the TTL the branch may have moved: upstream is asked again, and the new commit wins.
    now += 2_000;
    headAnswers(() => regularHead(OTHER_COMMIT));
    expect(await core.locator.locate({ repo, revision: 'main', path: 'config.json' })).toMatchObject({
      commit: OTHER_COMMIT,
      via: 'upstream',
    });
    expect(heads()).toHaveLength(2);
  });

  it('a commit: a file known at that commit needs no upstream call, at any age', async () => {
    headAnswers(() => regularHead());
    await core.locator.locate({ repo, revision: COMMIT, path: 'config.json' });
    now += 365 * 24 * 3_600_000;
    expect(await core.locator.locate({ repo, revision: COMMIT, path: 'config.json' })).toMatchObject({
      via: 'known',
    });
    expect(heads()).toEqual([`https://hub.test/o/m/resolve/${COMMIT}/config.json`]);
  });

  it('an LFS file: its sha256 and size come from the linked ETag and size', async () => {
    headAnswers(() => ({
      status: 302,
      headers: {
        'x-repo-commit': COMMIT,
        'x-linked-etag': `"${SHA256}"`,
        'x-linked-size': '5000000000',
        etag: `"${BLOB_ID}"`,
        location: 'https://cdn.test/x',
        'content-length': '1',
      },
    }));
    expect(await core.locator.locate({ repo, revision: 'main', path: 'w.safetensors' })).toMatchObject({
      lfs: true,
      sha256: SHA256,
      blobId: null,
      size: 5_000_000_000,
      blobKey: `sha256-${SHA256}`,
    });
    // The CDN redirect is not followed to locate a file.
    expect(core.upstream.requests.filter((r) => r.url.startsWith('https://cdn.test'))).toEqual([]);
  });

  it('follows a relative redirect (a renamed repo)', async () => {
    headAnswers((url) =>
      url.includes('/o/m/')
        ? { status: 307, headers: { location: '/o/renamed/resolve/main/config.json' } }
        : regularHead(),
    );
    await core.locator.locate({ repo, revision: 'main', path: 'config.json' });
    expect(heads()).toEqual([
      'https://hub.test/o/m/resolve/main/config.json',
      'https://hub.test/o/renamed/resolve/main/config.json',
    ]);
  });

  it("answers 404 with the commit at once for a path the commit's file list lacks", async () => {
    await core.manifests.fromInfo(repo, COMMIT, {
      sha: COMMIT,
      siblings: [{ rfilename: 'config.json', blobId: BLOB_ID, size: 12 }],
    });
    await core.access.learnVisibility(repo, 'public');
    const err = await core.locator
      .locate({ repo, revision: COMMIT, path: 'tokenizer.model' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: 'EntryNotFound', headers: { 'X-Repo-Commit': COMMIT } });
    // A path it has is located from the list, without upstream either.
    expect(await core.locator.locate({ repo, revision: COMMIT, path: 'config.json' })).toMatchObject({
      blobId: BLOB_ID,
      size: 12,
      via: 'known',
    });
    expect(core.upstream.requests).toEqual([]);
  });

  it("passes on upstream's refusal in the Hub's format", async () => {
    headAnswers(() => ({
      status: 404,
      headers: {
        'x-error-code': 'EntryNotFound',
        'x-error-message': 'Entry not found',
        'x-repo-commit': COMMIT,
      },
    }));
    const err = await core.locator
      .locate({ repo, revision: 'main', path: 'nope.txt' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ status: 404, code: 'EntryNotFound', headers: { 'X-Repo-Commit': COMMIT } });
  });

  it('refuses a HEAD answer without a valid X-Repo-Commit (502)', async () => {
    headAnswers(() => ({ status: 200, headers: { etag: `"${BLOB_ID}"`, 'content-length': '3' } }));
    await expect(core.locator.locate({ repo, revision: 'main', path: 'a' })).rejects.toMatchObject({
      status: 502,
      code: 'BadGateway',
    });
  });

  it('offline: serves what it knows of a public repo, whatever its age', async () => {
    headAnswers(() => regularHead());
    await core.locator.locate({ repo, revision: 'main', path: 'config.json' });
    now += 24 * 3_600_000;
    core.upstream.answer((req) => unreachable(req.url));
    expect(await core.locator.locate({ repo, revision: 'main', path: 'config.json' })).toMatchObject({
      commit: COMMIT,
      via: 'offline',
    });
    // A 5xx answer counts as unreachable too.
    headAnswers(() => ({ status: 502 }));
    expect(await core.locator.locate({ repo, revision: 'main', path: 'config.json' })).toMatchObject({
      via: 'offline',
    });
  });

  it('offline: what it does not know is 503, and so is a non-public repo nobody was admitted to', async () => {
    core.upstream.answer((req) => unreachable(req.url));
    await expect(core.locator.locate({ repo, revision: 'main', path: 'x' })).rejects.toMatchObject({
      status: 503,
      code: 'UpstreamUnavailable',
    });
    const gated = { type: 'model' as const, id: 'o/gated' };
    await core.access.learnVisibility(gated, 'gated');
    await core.meta.putFile({
      repoType: 'model',
      repoId: 'o/gated',
      commit: COMMIT,
      path: 'w.bin',
      size: 1,
      blobId: BLOB_ID,
      sha256: null,
      lfs: false,
      fetchedAt: 1,
    });
    await expect(
      core.locator.locate({ repo: gated, revision: COMMIT, path: 'w.bin' }, 'Bearer someone'),
    ).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/Cannot check access/) });
  });

  it('a gated repo: a caller upstream admitted is served from cache; without a verdict it asks upstream', async () => {
    const gated = { type: 'model' as const, id: 'o/gated' };
    await core.access.learnVisibility(gated, 'gated');
    headAnswers(() => regularHead());
    await core.locator.locate({ repo: gated, revision: COMMIT, path: 'w.bin' }, 'Bearer ok');
    await core.locator.locate({ repo: gated, revision: COMMIT, path: 'w.bin' }, 'Bearer ok');
    expect(heads()).toHaveLength(1);
    expect(core.upstream.requests[0].headers).toMatchObject({ authorization: 'Bearer ok' });
    await core.locator.locate({ repo: gated, revision: COMMIT, path: 'w.bin' }, 'Bearer other');
    expect(heads()).toHaveLength(2);
  });
});
