import { Controller, Delete, Get, Inject, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { RequestAccess, Requires } from '@dingo/auth';
import { upstreamAuthorizationOf } from '@dingo/contracts';
import { cachedRepoOf, Caller, Load } from './caller';
import { CacheService } from './cache.service';
import { CacheListQuery } from './schemas';
import { parseInput } from './validation';

/** Cached repos; deleting one needs `delete` on that repo (maintainers within their grants, admins). */
@ApiTags('cache')
@ApiBearerAuth()
@Controller('admin/v1/cache/repos')
export class CacheController {
  constructor(@Inject(CacheService) private readonly cache: CacheService) {}

  @Get()
  @Requires('read', 'Repo')
  @ApiOperation({ summary: 'Cached repos the caller may read, with file counts and sizes' })
  @ApiQuery({ name: 'type', required: false, enum: ['model', 'dataset', 'space'] })
  @ApiQuery({ name: 'search', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'offset', required: false })
  list(@Caller() caller: RequestAccess, @Req() req: Request, @Query() query: unknown) {
    return this.cache.list(
      caller.ability,
      upstreamAuthorizationOf(req),
      parseInput(CacheListQuery, query, 'query'),
    );
  }

  @Get(':type/:namespace/:name')
  @Requires('read', 'Repo', Load.cachedRepo)
  @ApiOperation({ summary: 'Cached files of a repo (type: models, datasets or spaces)' })
  files(@Req() req: Request) {
    return this.cache.files(cachedRepoOf(req), upstreamAuthorizationOf(req));
  }

  @Get(':type/:name')
  @Requires('read', 'Repo', Load.cachedRepo)
  filesOfUnscopedRepo(@Req() req: Request) {
    return this.cache.files(cachedRepoOf(req), upstreamAuthorizationOf(req));
  }

  @Delete(':type/:namespace/:name')
  @Requires('delete', 'Repo', Load.cachedRepo)
  @ApiOperation({ summary: 'Forget a repo and delete the blobs no other cached repo shares' })
  remove(@Req() req: Request) {
    return this.cache.remove(cachedRepoOf(req));
  }

  @Delete(':type/:name')
  @Requires('delete', 'Repo', Load.cachedRepo)
  removeUnscopedRepo(@Req() req: Request) {
    return this.cache.remove(cachedRepoOf(req));
  }
}
