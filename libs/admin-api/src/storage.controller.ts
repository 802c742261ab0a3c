import { Controller, Delete, Get, HttpCode, Inject, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { RequestAccess, Requires } from '@dingo/auth';
import { actorId, cachedRepoOf, Caller, Load } from './caller';
import { StorageService } from './storage.service';
import { StorageUsageQuery } from './schemas';
import { parseInput } from './validation';

/** What the cache holds and costs, pins (never evicted), and eviction on demand. */
@ApiTags('storage')
@ApiBearerAuth()
@Controller('admin/v1/cache')
export class StorageController {
  constructor(@Inject(StorageService) private readonly storage: StorageService) {}

  @Get('usage')
  @Requires('read', 'Storage')
  @ApiOperation({ summary: 'Bytes per tier, per repo and per team; content-hash dedup savings' })
  @ApiQuery({ name: 'limit', required: false, description: 'repos listed, largest first (default 100)' })
  usage(@Caller() caller: RequestAccess, @Query() query: unknown) {
    return this.storage.usage(caller.ability, parseInput(StorageUsageQuery, query, 'query').limit ?? 100);
  }

  @Post('evict')
  @HttpCode(200)
  @Requires('manage', 'Storage')
  @ApiOperation({
    summary: 'Run a storage round now: quota, free-space floor and tiers; answers the totals so far',
  })
  evict() {
    return this.storage.evict();
  }

  @Get('pins')
  @Requires('read', 'Repo')
  @ApiOperation({ summary: 'Pinned repos (never evicted) the caller may read' })
  pins(@Caller() caller: RequestAccess) {
    return this.storage.listPins(caller.ability);
  }

  @Put('pins/:type/:namespace/:name')
  @Requires('delete', 'Repo', Load.cachedRepo)
  @ApiOperation({
    summary: 'Pin a repo: its cached files are never evicted (maintainers within their grants)',
  })
  pin(@Caller() caller: RequestAccess, @Req() req: Request) {
    return this.storage.pin(cachedRepoOf(req), actorId(caller));
  }

  @Put('pins/:type/:name')
  @Requires('delete', 'Repo', Load.cachedRepo)
  pinUnscoped(@Caller() caller: RequestAccess, @Req() req: Request) {
    return this.storage.pin(cachedRepoOf(req), actorId(caller));
  }

  @Delete('pins/:type/:namespace/:name')
  @Requires('delete', 'Repo', Load.cachedRepo)
  @ApiOperation({ summary: 'Unpin a repo' })
  unpin(@Req() req: Request) {
    return this.storage.unpin(cachedRepoOf(req));
  }

  @Delete('pins/:type/:name')
  @Requires('delete', 'Repo', Load.cachedRepo)
  unpinUnscoped(@Req() req: Request) {
    return this.storage.unpin(cachedRepoOf(req));
  }
}
