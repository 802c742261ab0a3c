import { Readable, Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuditSink, PublicBase, setDingoContext, TransferEvent } from '@dingo/contracts';
import { FileDownload, Mirror } from '@dingo/mirror';
import { FileResponder } from './file-responder';
import { HubMetrics } from './hub-metrics';

Logger.overrideLogger(false);

/** A response in memory: what was written, the status and headers sent, whether it was cut. */
class FakeResponse extends Writable {
  statusCode = 0;
  sentHeaders?: Record<string, string>;
  readonly locals: Record<string, unknown> = {};
  readonly body: Buffer[] = [];
  cut?: Error;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.body.push(chunk);
    cb();
  }
  writeHead(status: number, headers: Record<string, string>) {
    this.statusCode = status;
    this.sentHeaders = headers;
    return this;
  }
  override destroy(err?: Error) {
    this.cut = err;
    return super.destroy();
  }
}

const route = { repo: { type: 'model' as const, id: 'o/m' }, revision: 'main', path: 'w.bin' };
const file = {
  repo: route.repo,
  commit: 'c'.repeat(40),
  path: 'w.bin',
  size: 6,
  lfs: false,
  blobId: 'b'.repeat(40),
  sha256: null,
  blobKey: `gitsha1-${'b'.repeat(40)}`,
  via: 'known' as const,
};

function setup(download: Partial<FileDownload>) {
  const prepared: unknown[] = [];
  const mirror = {
    prepareDownload: async (r: unknown, opts: unknown) => {
      prepared.push([r, opts]);
      return { status: 200, headers: { ETag: '"x"' }, file, length: 6, ...download } as FileDownload;
    },
  } as unknown as Mirror;
  const served: Array<[string, number]> = [];
  const metrics = {
    servedBytes: (source: string, n: number) => served.push([source, n]),
  } as unknown as HubMetrics;
  const audited: TransferEvent[] = [];
  const audit: AuditSink = { record: (e) => void audited.push(e) } as AuditSink;
  const publicBase = { for: () => 'https://mirror.local' } as unknown as PublicBase;
  const responder = new FileResponder(mirror, metrics, publicBase, audit);
  const req = {
    method: 'GET',
    headers: { authorization: 'Bearer client', range: 'bytes=0-5' },
    originalUrl: '/o/m/resolve/main/w.bin',
    ip: '10.0.0.9',
  } as unknown as Request;
  const res = new FakeResponse();
  return {
    responder,
    req,
    res,
    served,
    audited,
    prepared,
    serve: () => responder.serve(req, res as unknown as Response, route),
  };
}

describe('FileResponder', () => {
  it('sends the headers with the first byte, streams the body, counts bytes by source and audits once', async () => {
    const t = setup({
      writeBody: async (sink) => {
        await sink.copy(Readable.from([Buffer.from('abc')]), 'cache');
        await sink.copy(Readable.from([Buffer.from('def')]), 'upstream');
      },
    });
    await t.serve();
    expect(t.res.statusCode).toBe(200);
    expect(t.res.sentHeaders).toEqual({ ETag: '"x"' });
    expect(Buffer.concat(t.res.body).toString()).toBe('abcdef');
    expect(t.served).toEqual([
      ['cache', 3],
      ['upstream', 3],
    ]);
    expect(t.res.locals.dingoCache).toBe('partial');
    expect(t.audited).toEqual([
      expect.objectContaining({
        action: 'download',
        repoId: 'o/m',
        commit: file.commit,
        bytes: 6,
        status: 200,
        aborted: false,
        clientIp: '10.0.0.9',
      }),
    ]);
    // Without an access layer the client's own credentials and range go to the mirror.
    expect(t.prepared).toEqual([
      [route, { authorization: 'Bearer client', range: 'bytes=0-5', head: false }],
    ]);
  });

  it('passes the credentials the access layer chose, not the client header', async () => {
    const t = setup({});
    setDingoContext(t.req, { upstreamAuthorization: undefined, principal: { userId: 'u1', tokenId: 't1' } });
    await t.serve();
    expect(t.prepared).toEqual([[route, expect.objectContaining({ authorization: undefined })]]);
  });

  it('HEAD (no body): headers and end, with the cache outcome of how the file was located', async () => {
    const t = setup({ writeBody: undefined });
    await t.serve();
    expect(t.res.sentHeaders).toEqual({ ETag: '"x"' });
    expect(t.res.writableEnded).toBe(true);
    expect(t.res.locals.dingoCache).toBe('hit');
  });

  it('a failure before the first byte is thrown (the error filter answers with a status)', async () => {
    const t = setup({
      writeBody: async () => {
        throw new Error('upstream gone');
      },
    });
    await expect(t.serve()).rejects.toThrow('upstream gone');
    expect(t.res.sentHeaders).toBeUndefined();
    expect(t.res.cut).toBeUndefined();
  });

  it('a failure after the first byte cuts the connection (a short body) and is audited as aborted', async () => {
    const t = setup({
      writeBody: async (sink) => {
        await sink.copy(Readable.from([Buffer.from('abc')]), 'upstream');
        throw new Error('integrity');
      },
    });
    await t.serve();
    expect(t.res.statusCode).toBe(200);
    expect(t.res.cut?.message).toBe('integrity');
    expect(t.audited[0]).toMatchObject({ bytes: 3, aborted: true });
    expect(t.res.locals.dingoCache).toBe('miss');
  });
});
