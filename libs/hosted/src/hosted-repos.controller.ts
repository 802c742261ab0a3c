import { Controller, Delete, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PublicBase, PublicRoute } from '@dingo/contracts';
import { HubError, repoUrlPrefix } from '@dingo/hub-protocol';
import { callerName, isPrivate, repoFromBody, repoOf, RepoParams } from './hosted-request';
import { HostedWrites } from './hosted-writes';
import { jsonBody } from './request-body';

/** Hosted repos themselves: create (403 outside the local namespaces, 409 when taken), delete, settings. */
@Controller('api')
export class HostedReposController {
  constructor(
    @Inject(HostedWrites) private readonly writes: HostedWrites,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
  ) {}

  @Post('repos/create')
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (await jsonBody(req)) as Record<string, unknown>;
    const repo = repoFromBody(body, callerName(req));
    const url = `${this.publicBase.for(req)}/${repoUrlPrefix(repo.type)}${repo.id}`;
    try {
      await this.writes.create(repo, {
        private: isPrivate(body) ?? false,
        by: callerName(req) ?? null,
        files: Array.isArray(body.files) ? body.files : [],
      });
    } catch (err) {
      if (!(err instanceof HubError) || err.status !== 409) throw err;
      // The Hub's 409 carries the repo's URL, which huggingface_hub's `exist_ok=True` returns.
      res
        .status(409)
        .set(err.toResponse().headers)
        .send(JSON.stringify({ error: err.message, url }));
      return;
    }
    res.status(200).json({ url, name: repo.id, id: repo.id });
  }

  /** huggingface_hub checks a README's metadata before pushing it; the mirror accepts any (nothing is revealed). */
  @PublicRoute()
  @Post('validate-yaml')
  @HttpCode(200)
  validateYaml(): unknown {
    return { errors: [], warnings: [] };
  }

  @Delete('repos/delete')
  async delete(@Req() req: Request): Promise<unknown> {
    await this.writes.delete(repoFromBody((await jsonBody(req)) as Record<string, unknown>, callerName(req)));
    return {};
  }

  @Put(':types/:ns/:name/settings')
  async settings(@Req() req: Request, @Param() p: RepoParams): Promise<unknown> {
    const flag = isPrivate((await jsonBody(req)) as Record<string, unknown>);
    if (flag !== undefined) await this.writes.setPrivate(repoOf(p), flag);
    return {};
  }
}
