import { Controller, Delete, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { optionalRequestAccess } from '@dingo/auth';
import { PublicBase } from '@dingo/contracts';
import { HubError } from '@dingo/hub-protocol';
import { HostedLfs } from './hosted-lfs';
import { HostedRepos } from './hosted-repos';
import { callerName, repoOf, RepoParams } from './hosted-request';
import { HostedWrites } from './hosted-writes';
import { jsonBody, ndjsonLines } from './request-body';
import { UpstreamPassThrough } from './upstream-pass-through';

/**
 * Pushing to hosted repos: preupload, commits (NDJSON, streamed line by line), branches and tags.
 * Access is the guard's. Pushes to repos outside the local namespaces go upstream as they always did.
 */
@Controller('api')
export class HostedCommitsController {
  constructor(
    @Inject(HostedWrites) private readonly writes: HostedWrites,
    @Inject(HostedLfs) private readonly lfs: HostedLfs,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
    @Inject(HostedRepos) private readonly repos: HostedRepos,
    @Inject(UpstreamPassThrough) private readonly upstream: UpstreamPassThrough,
  ) {}

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
    if (req.query.create_pr && req.query.create_pr !== '0' && req.query.create_pr !== 'false')
      throw HubError.badRequest(
        'Pull requests are not supported on repos hosted by this mirror: commit to a branch',
      );
    const lines = ndjsonLines(req);
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
