import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  AUDIT_SINK,
  AuditSink,
  dingoContext,
  PublicBase,
  RESOLVE_HEADERS,
  ResolveHeaders,
  upstreamAuthorizationOf,
} from '@dingo/contracts';
import { ResolveRoute } from '@dingo/hub-protocol';
import { ByteSink, ClientGoneError, Mirror } from '@dingo/mirror';
import { HubMetrics } from './hub-metrics';

/**
 * Answers `HEAD`/`GET …/resolve/…`: the one home of a file transfer's response: status and
 * headers go out with the first byte (so a failure before it is still a proper error status),
 * the body streams with backpressure, and bytes served and the audit entry are recorded once.
 */
@Injectable()
export class FileResponder {
  private readonly log = new Logger(FileResponder.name);

  constructor(
    @Inject(Mirror) private readonly mirror: Mirror,
    @Inject(HubMetrics) private readonly metrics: HubMetrics,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
    @Optional() @Inject(AUDIT_SINK) private readonly audit?: AuditSink,
    @Optional() @Inject(RESOLVE_HEADERS) private readonly extraHeaders?: ResolveHeaders,
  ) {}

  async serve(req: Request, res: Response, route: ResolveRoute): Promise<void> {
    const authorization = upstreamAuthorizationOf(req);
    const download = await this.mirror.prepareDownload(route, {
      authorization,
      range: req.headers.range,
      head: req.method === 'HEAD',
    });
    if (this.extraHeaders)
      Object.assign(
        download.headers,
        await this.extraHeaders.headersFor(download.file, authorization, this.publicBase.for(req)),
      );
    const sendHeaders = () => res.writeHead(download.status, download.headers);
    if (!download.writeBody) {
      res.locals.dingoCache = { known: 'hit', upstream: 'miss', offline: 'stale' }[download.file.via];
      sendHeaders();
      res.end();
      return;
    }
    const sink = new ByteSink(res, sendHeaders);
    let aborted = false;
    try {
      await download.writeBody(sink);
      res.end();
    } catch (err) {
      // The client hung up: nobody to answer, nothing to log as a server error.
      if (err instanceof ClientGoneError) {
        aborted = true;
        res.destroy();
        return;
      }
      // Nothing sent yet: the error filter answers with a proper status.
      if (!sink.started) throw err;
      // Headers are gone: all we can do is cut the connection so the client sees a short body.
      aborted = true;
      this.log.warn(`${req.method} ${req.originalUrl} cut short: ${(err as Error).message}`);
      res.destroy(err as Error);
    } finally {
      const { cache, upstream } = sink.bySource;
      this.metrics.servedBytes('cache', cache);
      this.metrics.servedBytes('upstream', upstream);
      res.locals.dingoCache = upstream === 0 ? 'hit' : cache === 0 ? 'miss' : 'partial';
      this.record(req, route, download.file.commit, download.status, sink.written, aborted);
    }
  }

  private record(
    req: Request,
    route: ResolveRoute,
    commit: string,
    status: number,
    bytes: number,
    aborted: boolean,
  ): void {
    const who = dingoContext(req)?.principal;
    this.audit?.record({
      action: 'download',
      repoType: route.repo.type,
      repoId: route.repo.id,
      revision: route.revision,
      commit,
      path: route.path,
      bytes,
      status,
      clientIp: req.ip ?? '',
      userId: who?.userId,
      tokenId: who?.tokenId,
      aborted,
    });
  }
}
