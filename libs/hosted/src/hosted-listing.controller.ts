import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { optionalRequestAccess } from '@dingo/auth';
import { dingoContext, PublicBase, upstreamAuthorizationOf } from '@dingo/contracts';
import { HubError, RepoType } from '@dingo/hub-protocol';
import { Mirror } from '@dingo/mirror';
import { HostedRepos } from './hosted-repos';
import { ANONYMOUS_READ, HOSTED_MIRROR } from './hosted-tokens';
import { mayReadPrivate } from './private-read.interceptor';

/**
 * `GET /api/{models|datasets|spaces}`: upstream's listing (through the mirror's cache) with the
 * hosted repos that match `search`/`author` first, marked `hosted: true`, on the first page. While
 * upstream is unreachable the hosted ones are still listed.
 */
@Controller('api')
export class HostedListingController {
  constructor(
    @Inject(HostedRepos) private readonly repos: HostedRepos,
    @Inject(HOSTED_MIRROR) private readonly mirror: () => Promise<Mirror>,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
    @Inject(ANONYMOUS_READ) private readonly anonymousRead: boolean,
  ) {}

  @Get('models')
  models(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.list('model', req, res);
  }

  @Get('datasets')
  datasets(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.list('dataset', req, res);
  }

  @Get('spaces')
  spaces(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.list('space', req, res);
  }

  private async list(type: RepoType, req: Request, res: Response): Promise<void> {
    const query = new URL(req.originalUrl, 'http://x').searchParams;
    let status = 200;
    let headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    let upstream: unknown[] = [];
    let upstreamBody: Buffer | undefined;
    try {
      const answer = await (
        await this.mirror()
      ).callApi({
        method: 'GET',
        url: req.originalUrl,
        authorization: upstreamAuthorizationOf(req),
        publicBase: this.publicBase.for(req),
        // As the Hub controller does: the catalogue answers on request, within the caller's grants.
        local: /^(1|true)$/i.test(String(req.headers['x-dingo-local'] ?? '')),
        mayRead: dingoContext(req)?.mayRead,
      });
      ({ status, headers } = answer);
      const parsed: unknown = status === 200 ? JSON.parse(answer.body.toString('utf8')) : undefined;
      if (!Array.isArray(parsed)) return this.send(res, status, headers, answer.body);
      upstream = parsed;
      upstreamBody = answer.body;
    } catch (err) {
      if (!(err instanceof HubError && err.code === 'UpstreamUnavailable')) throw err;
    }
    const hosted = query.has('cursor') ? [] : await this.hosted(type, req, query);
    // Nothing hosted to add: upstream's answer goes out exactly as it came.
    if (!hosted.length && upstreamBody) return this.send(res, status, headers, upstreamBody);
    // The catalogue's local listing (upstream down) may know a hosted repo too: list it once.
    const ids = new Set(hosted.map((r) => (r as { id: string }).id));
    const rest = upstream.filter((r) => !ids.has((r as { id?: string }).id ?? ''));
    this.send(res, status, headers, Buffer.from(JSON.stringify([...hosted, ...rest]), 'utf8'));
  }

  private async hosted(type: RepoType, req: Request, query: URLSearchParams): Promise<unknown[]> {
    const author = query.get('author');
    const limit = Math.min(Number(query.get('limit')) || 100, 1000);
    const access = optionalRequestAccess(req);
    const repos = (await this.repos.store.listRepos(type, query.get('search') ?? undefined, limit)).filter(
      (r) =>
        (!author || r.repo.id.split('/')[0] === author) &&
        (!r.private || mayReadPrivate(access, r.repo, this.anonymousRead)),
    );
    return repos.map((r) => ({
      _id: r.repo.id,
      id: r.repo.id,
      ...(type === 'model' && { modelId: r.repo.id }),
      author: r.repo.id.split('/')[0],
      private: r.private,
      gated: false,
      disabled: false,
      downloads: 0,
      likes: 0,
      tags: ['hosted'],
      hosted: true,
      createdAt: new Date(r.createdAt).toISOString(),
    }));
  }

  private send(res: Response, status: number, headers: Record<string, string>, body: Buffer): void {
    res.status(status);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('Content-Length', body.length);
    res.end(body);
  }
}
