import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { readSmallBody, UpstreamBodyError } from './upstream-body';

describe('readSmallBody', () => {
  let server: Server;
  let url: string;
  const answers: Record<string, { encoding: string; body: Buffer }> = {
    '/unknown': { encoding: 'zstd', body: Buffer.from('not for us') },
    '/bomb': { encoding: 'gzip', body: gzipSync(Buffer.alloc(4 << 20)) },
    '/gzip': { encoding: 'gzip', body: gzipSync(Buffer.from('{"ok":true}')) },
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const a = answers[req.url ?? ''];
      res.writeHead(200, { 'Content-Encoding': a.encoding });
      res.end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const read = async (path: string, limit = 1 << 20) => {
    const res = await request(url + path);
    return readSmallBody(res.body as never, limit, res.headers['content-encoding'] as string);
  };

  it('decodes what upstream compressed', async () => {
    expect((await read('/gzip')).toString()).toBe('{"ok":true}');
  });

  it('refuses an unknown Content-Encoding without an unhandled stream error (which would end the process)', async () => {
    const unhandled = jest.fn();
    process.on('uncaughtException', unhandled);
    try {
      await expect(read('/unknown')).rejects.toThrow(UpstreamBodyError);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('uncaughtException', unhandled);
    }
  });

  it('limits the decoded size (a compression bomb is a clean error)', async () => {
    await expect(read('/bomb')).rejects.toThrow(/larger than/);
  });
});
