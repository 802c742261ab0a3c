import { createInterface } from 'node:readline';
import { Controller, Delete, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PublicBase, PublicRoute } from '@dingo/contracts';
import { HubError, RepoRef, repoTypeFromPlural, repoUrlPrefix } from '@dingo/hub-protocol';
import { optionalRequestAccess } from '@dingo/auth';
import { HostedLfs } from './hosted-lfs';
import { HostedRepos } from './hosted-repos';
import { UpstreamPassThrough } from './upstream-pass-through';
import { HostedWrites } from './hosted-writes';
import { jsonBody } from './request-body';

/**
 * The Hub's write API for hosted repos (`huggingface_hub`, `@huggingface/hub`); access is the
 * guard's. Pushes to repos outside the local namespaces go upstream as they always did.
 */
@Controller('api')
export class HostedApiController {
  constructor(
    @Inject(HostedWrites) private readonly writes: HostedWrites,
    @Inject(HostedLfs) private readonly lfs: HostedLfs,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
    @Inject(HostedRepos) private readonly repos: HostedRepos,
    @Inject(UpstreamPassThrough) private readonly upstream: UpstreamPassThrough,
  ) {}

  @Post('repos/create')
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (await jsonBody(req)) as Record<string, unknown>;
    const repo = repoFromBody(body, callerName(req));
    const url = `${this.publicBase.for(req)}/${repoUrlPrefix(repo.type)}${repo.id}`;
    try {
      await this.writes.create(repo, { private: isPrivate(body) ?? false, by: callerName(req) ?? null });
    } catch (err) {
      if (!(err instanceof HubError) || err.status !== 409) throw err;
      // The Hub's 409 carries the repo's URL, which huggingface_hub's `exist_ok=True` returns.
      const wire = err.toResponse();
      res
        .status(409)
        .set(wire.headers)
        .send(JSON.stringify({ error: err.message, url }));
      return;
    }
    // @huggingface/hub's createRepo may carry the first files (base64): they make the first commit.
    if (Array.isArray(body.files) && body.files.length) {
      const lines = [
        { key: 'header', value: { summary: 'initial files' } },
        ...body.files.map((value) => ({ key: 'file', value })),
      ];
      await this.writes.commit(
        repo,
        'main',
        toAsync(lines.map((l) => JSON.stringify(l))),
        callerName(req) ?? 'anonymous',
      );
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

  @Post(':types/:ns/:name/preupload/:rev')
  async preupload(
    @Req() req: Request,
    @Res() res: Response,
    @Param() p: RepoParams & { rev: string },
  ): Promise<void> {
    const repo = repoOf(p);
    if (!this.repos.owns(repo)) return this.upstream.forward(req, res);
    res.status(200).json(await this.lfs.preupload(repo, p.rev, await jsonBody(req)));
  }

  @Post(':types/:ns/:name/commit/:rev')
  async commit(
    @Req() req: Request,
    @Res() res: Response,
    @Param() p: RepoParams & { rev: string },
  ): Promise<void> {
    const repo = repoOf(p);
    if (!this.repos.owns(repo)) return this.upstream.forward(req, res);
    const lines = createInterface({ input: req, crlfDelay: Infinity });
    const { commitOid, summary, files, bytes } = await this.writes.commit(
      repo,
      p.rev,
      lines,
      callerName(req) ?? 'anonymous',
    );
    const audit = optionalRequestAccess(req)?.audit;
    if (audit)
      audit.detail = {
        commit: commitOid,
        revision: p.rev,
        files: files.slice(0, 100),
        fileCount: files.length,
        bytes,
      };
    res.status(200).json({
      success: true,
      commitOid,
      commitUrl: this.writes.commitUrl(this.publicBase.for(req), repo, commitOid),
      commitMessage: summary,
      hookOutput: '',
    });
  }

  @Post(':types/:ns/:name/branch/:branch')
  async createBranch(
    @Req() req: Request,
    @Res() res: Response,
    @Param() p: RepoParams & { branch: string },
  ): Promise<void> {
    const repo = repoOf(p);
    if (!this.repos.owns(repo)) return this.upstream.forward(req, res);
    const body = (await jsonBody(req)) as { startingPoint?: unknown };
    const from = typeof body.startingPoint === 'string' ? body.startingPoint : undefined;
    await this.writes.createRef(repo, 'heads', p.branch, from);
    res.status(200).json({});
  }

  @Delete(':types/:ns/:name/branch/:branch')
  async deleteBranch(@Param() p: RepoParams & { branch: string }): Promise<unknown> {
    await this.writes.deleteRef(repoOf(p), 'heads', p.branch);
    return {};
  }

  @Post(':types/:ns/:name/tag/:rev')
  async createTag(
    @Req() req: Request,
    @Res() res: Response,
    @Param() p: RepoParams & { rev: string },
  ): Promise<void> {
    const repo = repoOf(p);
    if (!this.repos.owns(repo)) return this.upstream.forward(req, res);
    const body = (await jsonBody(req)) as { tag?: unknown };
    if (typeof body.tag !== 'string' || !body.tag)
      throw HubError.badRequest('Invalid body: "tag" is required');
    await this.writes.createRef(repo, 'tags', body.tag, p.rev);
    res.status(200).json({});
  }

  @Delete(':types/:ns/:name/tag/:tag')
  async deleteTag(@Param() p: RepoParams & { tag: string }): Promise<unknown> {
    await this.writes.deleteRef(repoOf(p), 'tags', p.tag);
    return {};
  }
}

export interface RepoParams {
  types: string;
  ns: string;
  name: string;
}

export function repoOf(p: RepoParams): RepoRef {
  const type = repoTypeFromPlural(p.types);
  if (!type) throw HubError.notFound();
  return { type, id: `${p.ns}/${p.name}` };
}

function callerName(req: Request): string | undefined {
  const principal = optionalRequestAccess(req)?.principal;
  return principal?.kind === 'user' ? principal.username : undefined;
}

function isPrivate(body: Record<string, unknown>): boolean | undefined {
  if (typeof body.private === 'boolean') return body.private;
  if (body.visibility === 'private') return true;
  if (body.visibility === 'public') return false;
  return undefined;
}

/** `{name, organization?, type?}` (the guard has already validated it). */
function repoFromBody(body: Record<string, unknown>, caller: string | undefined): RepoRef {
  const type = body.type === 'dataset' || body.type === 'space' ? body.type : 'model';
  const name = typeof body.name === 'string' ? body.name : '';
  const org = typeof body.organization === 'string' && body.organization ? body.organization : caller;
  const id = name.includes('/') || !org ? name : `${org}/${name}`;
  if (!id.includes('/')) throw HubError.badRequest('Invalid body: the repo needs a namespace');
  return { type, id };
}

async function* toAsync<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}
