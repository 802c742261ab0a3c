import type { Request, Response } from 'express';
import { PublicBase, upstreamAuthorizationOf } from '@dingo/contracts';
import { parseApiRepoPath } from '@dingo/hub-protocol';
import { Mirror } from '@dingo/mirror';
import { readBody } from './request-body';

/**
 * Writes to a repo outside the local namespaces go upstream as before (the mirror's API
 * pass-through, with the credentials the access guard decided), exactly as the Hub catch-all would
 * forward them: hosted routes never change what the mirror does for upstream repos.
 */
export class UpstreamPassThrough {
  constructor(
    private readonly mirror: () => Promise<Mirror>,
    private readonly publicBase: PublicBase,
  ) {}

  async forward(req: Request, res: Response): Promise<void> {
    const body = (req as Request & { rawBody?: Buffer }).rawBody ?? (await readBody(req));
    const answer = await (
      await this.mirror()
    ).callApi({
      method: 'POST',
      url: req.originalUrl,
      route: parseApiRepoPath(req.originalUrl),
      authorization: upstreamAuthorizationOf(req),
      body,
      contentType: req.headers['content-type'],
      publicBase: this.publicBase.for(req),
    });
    res.status(answer.status);
    for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
    res.setHeader('Content-Length', answer.body.length);
    res.end(answer.body);
  }
}
