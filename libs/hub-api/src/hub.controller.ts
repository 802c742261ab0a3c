import { Controller, Get, Head, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { dingoContext, PublicBase, upstreamAuthorizationOf } from '@dingo/contracts';
import { HubError, parseHubRequest, ParsedHubRequest } from '@dingo/hub-protocol';
import { Mirror } from '@dingo/mirror';
import { FileResponder } from './file-responder';

/** The Hub-compatible surface: resolve (files) and the API; parses, delegates, answers. */
@Controller()
export class HubController {
  constructor(
    @Inject(Mirror) private readonly mirror: Mirror,
    @Inject(FileResponder) private readonly files: FileResponder,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
  ) {}

  @Head('{*path}')
  head(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.get(req, res);
  }

  @Get('{*path}')
  async get(@Req() req: Request, @Res() res: Response): Promise<void> {
    const parsed = parsedRequest(req);
    if (parsed.kind === 'resolve') return this.files.serve(req, res, parsed.route);
    return this.api(req, res, parsed);
  }

  @Post('{*path}')
  post(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.api(req, res, parsedRequest(req));
  }

  private async api(req: Request, res: Response, parsed: ParsedHubRequest): Promise<void> {
    if (parsed.kind === 'other') throw HubError.notFound(`Not Found: ${req.path.slice(0, 200)}`);
    const answer = await this.mirror.callApi({
      method: req.method === 'POST' ? 'POST' : 'GET',
      url: req.originalUrl,
      route: parsed.kind === 'api' ? parsed.route : undefined,
      authorization: upstreamAuthorizationOf(req),
      body: req.method === 'POST' ? (req as Request & { rawBody?: Buffer }).rawBody : undefined,
      contentType: req.headers['content-type'],
      publicBase: this.publicBase.for(req),
      local: /^(1|true)$/i.test(String(req.headers['x-dingo-local'] ?? '')),
      mayRead: dingoContext(req)?.mayRead,
    });
    res.status(answer.status);
    for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
    res.setHeader('Content-Length', answer.body.length);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }
}

/** The route the access guard parsed, or parsed here (a deployment without the access layer: the edge). */
function parsedRequest(req: Request): ParsedHubRequest {
  return dingoContext(req)?.parsed ?? parseHubRequest(req.method, req.originalUrl);
}
