import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Requires } from '@dingo/auth';
import { upstreamAuthorizationOf } from '@dingo/contracts';
import { assertFilePath, assertRevision, repoUrlPrefix } from '@dingo/hub-protocol';
import { Mirror } from '@dingo/mirror';
import { cachedRepoOf, Load } from './caller';
import { SyncBody } from './schemas';
import { parseInput } from './validation';

export const SYNC_MIRROR = Symbol('SyncMirror');

/** Prefetch: queue a file or a whole revision for pulling into the cache (maintainers). */
@ApiTags('sync')
@ApiBearerAuth()
@Controller('admin/v1/sync')
export class SyncController {
  constructor(@Inject(SYNC_MIRROR) private readonly mirror: Mirror) {}

  @Get('jobs')
  @Requires('read', 'Repo')
  @ApiOperation({
    summary: 'Pull jobs waiting and running per queue, and those this process finished (completed, failed)',
  })
  async jobs() {
    return { queues: await this.mirror.queueDepths(), finished: this.mirror.stats().jobs };
  }

  @Post(':type/:namespace/:name')
  @HttpCode(202)
  @Requires('delete', 'Repo', Load.cachedRepo)
  @ApiOperation({ summary: 'Queue a pull-file (with `path`) or pull-repo-snapshot job' })
  sync(@Req() req: Request, @Body() body: unknown) {
    return this.queue(req, body);
  }

  @Post(':type/:name')
  @HttpCode(202)
  @Requires('delete', 'Repo', Load.cachedRepo)
  syncUnscoped(@Req() req: Request, @Body() body: unknown) {
    return this.queue(req, body);
  }

  private async queue(req: Request, body: unknown) {
    const repo = cachedRepoOf(req);
    const { revision, path } = parseInput(SyncBody, body ?? {}, 'body');
    assertRevision(revision);
    const authorization = upstreamAuthorizationOf(req);
    const id = `${repoUrlPrefix(repo.type)}${repo.id}@${revision}`;
    if (path !== undefined) {
      assertFilePath(path);
      await this.mirror.queueFilePull({ repo, revision, path, authorization }, `${id}:${path}`);
      return { queued: 'pull-file', repo, revision, path };
    }
    await this.mirror.queueSnapshotPull({ repo, revision, authorization }, id);
    return { queued: 'pull-repo-snapshot', repo, revision };
  }
}
