import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HubError, parseApiRepoPath } from '@dingo/hub-protocol';
import { PublicBase, upstreamAuthorizationOf } from '@dingo/contracts';
import { XetMirror } from './xet-mirror';

/**
 * `GET /api/{type}s/{id}/xet-read-token/{rev}`: the mirror's CAS URL and a short-lived token of
 * its own. The global access guard has already decided `read` on the repo; the mirror also asks
 * upstream's token route with the caller's upstream credentials (gated/private repos answer as
 * upstream does), or, offline, its cached access verdicts.
 */
@Controller()
export class XetTokenController {
  constructor(
    @Inject(XetMirror) private readonly xet: XetMirror,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
  ) {}

  @Get(['api/:plural/:name/xet-read-token/*rev', 'api/:plural/:ns/:name/xet-read-token/*rev'])
  async token(@Req() req: Request, @Res() res: Response): Promise<void> {
    const route = parseApiRepoPath(req.originalUrl);
    const rest = route?.action.kind === 'other' ? route.action.rest : '';
    if (!route || !rest.startsWith('xet-read-token/')) throw HubError.notFound();
    const rev = decodeURIComponent(rest.slice('xet-read-token/'.length));
    const answer = await this.xet.issueToken(
      route.repo,
      rev,
      upstreamAuthorizationOf(req),
      this.publicBase.for(req),
    );
    res.setHeader('X-Xet-Cas-Url', answer.casUrl);
    res.setHeader('X-Xet-Access-Token', answer.accessToken);
    res.setHeader('X-Xet-Token-Expiration', String(answer.exp));
    res.setHeader('Cache-Control', 'no-store');
    res.json(answer);
  }
}
