import { unreachable } from '@dingo/upstream/testing';
import { COMMIT, lfsFile, memorySink, rangeAnswer, resolveCore } from '../testing/unit-harness';

const repo = { type: 'model' as const, id: 'o/m' };

describe('FileDownloads (the resolve path on fakes)', () => {
  const { bytes, file } = lfsFile(40, 'w.bin');
  const route = { repo, revision: COMMIT, path: 'w.bin' };
  let core: ReturnType<typeof resolveCore>;
  beforeEach(() => {
    core = resolveCore({ chunkSize: 16 });
    core.upstream.answer((req) =>
      req.method === 'HEAD'
        ? {
            status: 302,
            headers: {
              'x-repo-commit': COMMIT,
              'x-linked-etag': `"${file.sha256}"`,
              'x-linked-size': '40',
              location: 'https://cdn.test/w.bin',
            },
          }
        : req.url.includes('/resolve/')
          ? rangeAnswer(bytes, req.headers?.range)
          : { status: 404 },
    );
  });
  afterEach(async () => core.close());

  const gets = () => core.upstream.requests.filter((r) => r.method !== 'HEAD' && r.url.includes('/resolve/'));

  it('cold GET: one HEAD to locate, the chunks from upstream, the Hub headers', async () => {
    const download = await core.downloads.prepare(route, { head: false });
    expect(download.status).toBe(200);
    expect(download.headers).toMatchObject({
      ETag: `"${file.sha256}"`,
      'X-Linked-Etag': `"${file.sha256}"`,
      'X-Linked-Size': '40',
      'X-Repo-Commit': COMMIT,
      'Content-Length': '40',
      'Accept-Ranges': 'bytes',
    });
    const { sink, received } = memorySink();
    await download.writeBody!(sink);
    expect(received()).toEqual(bytes);
    expect(core.upstream.requests.filter((r) => r.method === 'HEAD')).toHaveLength(1);
    expect(gets()).toHaveLength(3);
  });

  it('warm Range GET: 206 from the store, no upstream call at all', async () => {
    await (
      await core.downloads.prepare(route, { head: false })
    ).writeBody!(memorySink().sink);
    core.upstream.requests.length = 0;
    const download = await core.downloads.prepare(route, { head: false, range: 'bytes=10-20' });
    expect(download).toMatchObject({ status: 206, length: 11 });
    expect(download.headers).toMatchObject({ 'Content-Range': 'bytes 10-20/40', 'Content-Length': '11' });
    const { sink, received } = memorySink();
    await download.writeBody!(sink);
    expect(received()).toEqual(bytes.subarray(10, 21));
    expect(sink.bySource).toEqual({ cache: 11, upstream: 0 });
    expect(core.upstream.requests).toEqual([]);
  });

  it('HEAD has no body; a range past the end is 416', async () => {
    const head = await core.downloads.prepare(route, { head: true });
    expect(head.writeBody).toBeUndefined();
    await expect(core.downloads.prepare(route, { head: false, range: 'bytes=40-50' })).rejects.toMatchObject({
      status: 416,
    });
  });

  it('HEAD of a file known but not cached, upstream down: 503 rather than a promise a GET cannot keep', async () => {
    await core.access.learnVisibility(repo, 'public');
    await core.downloads.prepare(route, { head: true }); // learns the file
    core.upstream.answer((req) => unreachable(req.url));
    await expect(core.downloads.prepare(route, { head: true })).rejects.toMatchObject({
      status: 503,
      code: 'UpstreamUnavailable',
    });
    // Once the file is cached, the same HEAD is answered offline.
    core.serve(bytes);
    core.upstream.answer((req) =>
      req.method === 'HEAD' ? unreachable(req.url) : rangeAnswer(bytes, req.headers?.range),
    );
    await (
      await core.downloads.prepare(route, { head: false })
    ).writeBody!(memorySink().sink);
    expect((await core.downloads.prepare(route, { head: true })).status).toBe(200);
  });
});
