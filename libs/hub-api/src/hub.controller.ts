import { Controller, Get, Head, Inject, Logger, Optional, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HubError, parseApiRepoPath, parseResolvePath } from '@dingo/hub-protocol';
import { Mirror } from '@dingo/mirror';
import { HubMetrics } from './hub-metrics';
import { dingoContext, upstreamAuthorizationOf } from './upstream-authorization';
import { AUDIT_SINK, AuditSink } from './audit-sink';
import { LISTING_REWRITE, ListingRewrite, RESOLVE_HEADERS, ResolveHeaders } from './resolve-headers';

/** The Hub-compatible surface: resolve (files) and the API; parses, delegates, answers. */
@Controller()
export class HubController {
  private readonly log = new Logger(HubController.name);
  constructor(
    @Inject(Mirror) private readonly mirror: Mirror,
    @Inject(HubMetrics) private readonly metrics: HubMetrics,
    @Optional() @Inject(AUDIT_SINK) private readonly audit?: AuditSink,
    @Optional() @Inject(RESOLVE_HEADERS) private readonly extraHeaders?: ResolveHeaders,
    @Optional() @Inject(LISTING_REWRITE) private readonly listings?: ListingRewrite,
  ) {}

  @Head('{*path}')
  async head(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.get(req, res);
  }

  @Get('{*path}')
  async get(@Req() req: Request, @Res() res: Response): Promise<void> {
    const resolve = parseResolvePath(req.originalUrl);
    if (resolve) return this.resolve(req, res, resolve);
    return this.api(req, res);
  }

  @Post('{*path}')
  async post(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.api(req, res);
  }

  private async resolve(
    req: Request,
    res: Response,
    route: NonNullable<ReturnType<typeof parseResolvePath>>,
  ) {
    const head = req.method === 'HEAD';
    const answer = await this.mirror.resolve.resolve(route, {
      authorization: upstreamAuthorizationOf(req),
      range: req.headers.range,
      head,
    });
    if (this.extraHeaders) {
      const extra = await this.extraHeaders.headersFor(
        answer.file,
        upstreamAuthorizationOf(req),
        this.publicBase(req),
      );
      Object.assign(answer.headers, extra);
    }
    res.writeHead(answer.status, answer.headers);
    if (!answer.writeBody) {
      res.end();
      return;
    }
    let aborted = false;
    try {
      await answer.writeBody(res);
      res.end();
    } catch (err) {
      // Headers are gone: all we can do is cut the connection so the client sees a short body.
      aborted = true;
      if (!res.destroyed)
        this.log.warn(`${req.method} ${req.originalUrl} cut short: ${(err as Error).message}`);
      res.destroy(err as Error);
    }
    const bytes = aborted ? 0 : Number(answer.headers['Content-Length']);
    this.metrics.servedBytes.inc(bytes);
    const who = dingoContext(req)?.principal;
    this.audit?.record({
      action: 'download',
      repoType: route.repo.type,
      repoId: route.repo.id,
      revision: route.revision,
      commit: answer.file.commit,
      path: route.path,
      bytes,
      status: answer.status,
      clientIp: req.ip ?? '',
      userId: who?.userId,
      tokenId: who?.tokenId,
      aborted,
    });
  }

  private publicBase(req: Request): string {
    return this.mirror.config.publicUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host')}`;
  }

  private async api(req: Request, res: Response) {
    const route = parseApiRepoPath(req.originalUrl);
    if (!req.originalUrl.startsWith('/api/')) throw HubError.notFound(`Not Found: ${req.path.slice(0, 200)}`);
    const answer = await this.mirror.api.handle({
      method: req.method === 'POST' ? 'POST' : 'GET',
      url: req.originalUrl,
      route,
      authorization: upstreamAuthorizationOf(req),
      body: req.method === 'POST' ? (req as Request & { rawBody?: Buffer }).rawBody : undefined,
      contentType: req.headers['content-type'],
      publicBase: this.publicBase(req),
    });
    res.status(answer.status);
    for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
    let body = answer.body;
    const kind = route?.action.kind;
    if (this.listings && route && answer.status === 200 && (kind === 'tree' || kind === 'paths-info')) {
      body = await this.listings.rewriteListing(route.repo, body);
    }
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
