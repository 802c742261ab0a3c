import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rangedBody } from './byte-range';
import { HubError } from './hub-error';
import type { ResponseWriter } from './response-writer';
import type { SimContext } from './sim-context';
import { XORB_CONTENT_PREFIX } from './stats-recorder';
import { newRequestId, type SimResponse } from './sim-response';

const OBJECT_PATH = /^\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})$/;
const XORB_PATH = /^\/xorbs\/default\/([0-9a-f]{64})$/;
/** Like the Hub's objects, every one dates from this upload time. */
const LAST_MODIFIED = new Date(Date.UTC(2024, 0, 1)).toUTCString();

/** The CDN origin: serves LFS contents by sha256 behind signed, expiring URLs, with CloudFront/S3 manners. */
export class CdnController {
  constructor(
    private readonly ctx: SimContext,
    private readonly writer: ResponseWriter,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.writer.serve('cdn', req, res, cdnErrorResponse, () => this.answer(req));
  }

  private answer(req: IncomingMessage): SimResponse {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new HubError(405, 'Method Not Allowed', 'MethodNotAllowed');
    const url = new URL(req.url ?? '/', 'http://cdn');
    const xorb = XORB_PATH.exec(url.pathname)?.[1];
    if (xorb) return xorbRangeResponse(this.ctx, req, url, xorb);
    const sha256 = OBJECT_PATH.exec(url.pathname)?.[1];
    if (!sha256) throw new HubError(404, 'The specified key does not exist.', 'NoSuchKey');
    if (this.ctx.signer.verify(url.pathname, url.searchParams) !== 'ok') {
      throw new HubError(403, 'Access denied', 'AccessDenied');
    }
    const content = this.ctx.registry.content(sha256);
    if (!content) throw new HubError(404, 'The specified key does not exist.', 'NoSuchKey');
    const ranged = rangedBody(req.headers.range, content.diskPath, content.size);
    const disposition = url.searchParams.get('response-content-disposition');
    return {
      status: ranged.status,
      headers: {
        ...cdnHeaders(),
        'Content-Type': 'application/octet-stream',
        ETag: `"${sha256}"`,
        'Accept-Ranges': 'bytes',
        'Last-Modified': LAST_MODIFIED,
        ...(disposition && { 'Content-Disposition': disposition }),
        ...ranged.headers,
      },
      body: ranged.body,
      content: { sha256 },
    };
  }
}

/** A presigned xorb range (Xet transfer): only the signed Range, only before it expires. */
function xorbRangeResponse(ctx: SimContext, req: IncomingMessage, url: URL, xorb: string): SimResponse {
  if (ctx.xorbSigner.verify(url.pathname, url.searchParams, req.headers.range) !== 'ok') {
    throw new HubError(403, 'Access denied', 'AccessDenied');
  }
  const stored = ctx.xetStore.xorb(xorb);
  if (!stored) throw new HubError(404, 'The specified key does not exist.', 'NoSuchKey');
  const ranged = rangedBody(req.headers.range, stored.diskPath, stored.size);
  return {
    status: ranged.status,
    headers: {
      ...cdnHeaders(),
      'Content-Type': 'application/octet-stream',
      ETag: `"${xorb}"`,
      'Accept-Ranges': 'bytes',
      'Last-Modified': LAST_MODIFIED,
      ...ranged.headers,
    },
    body: ranged.body,
    content: { sha256: `${XORB_CONTENT_PREFIX}${xorb}` },
  };
}

function cdnHeaders(): Record<string, string> {
  const id = createHash('sha1').update(newRequestId()).digest('hex');
  return {
    'Access-Control-Allow-Origin': '*',
    'X-Cache': 'Miss from cloudfront',
    Via: `1.1 ${id.slice(0, 32)}.cloudfront.net (CloudFront)`,
    'X-Amz-Cf-Pop': 'SIM50-C1',
    'X-Amz-Cf-Id': Buffer.from(id, 'hex').toString('base64'),
  };
}

const XML_CODES: Record<number, string> = {
  403: 'AccessDenied',
  404: 'NoSuchKey',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  429: 'SlowDown',
};

/** S3/CloudFront answer errors in XML. */
function cdnErrorResponse(err: HubError): SimResponse {
  const code = err.code ?? XML_CODES[err.status] ?? 'InternalError';
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Error><Code>${code}</Code><Message>${escapeXml(err.message)}</Message></Error>`;
  return {
    status: err.status,
    headers: { ...cdnHeaders(), 'X-Cache': 'Error from cloudfront', 'Content-Type': 'application/xml' },
    body: Buffer.from(xml),
  };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
