import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { permittedRows, RequestAccess, Requires } from '@dingo/auth';
import { Catalogue, CATALOGUE_SORTS, CatalogueRow, parseCatalogueQuery } from '@dingo/catalogue';
import { upstreamAuthorizationOf } from '@dingo/contracts';
import { HubError, RepoRef } from '@dingo/hub-protocol';
import { Caller } from './caller';

export const CATALOGUE = Symbol('Catalogue');

/**
 * The catalogue: search what the mirror knows (Hub list shape, `Link` paging, `X-Total-Count`),
 * and find files by content hash. Only repos the caller may read and download are listed.
 */
@ApiTags('catalogue')
@ApiBearerAuth()
@Controller('admin/v1/catalogue')
export class CatalogueController {
  constructor(@Inject(CATALOGUE) private readonly catalogue: Catalogue) {}

  @Get()
  @Requires('read', 'Repo')
  @ApiOperation({ summary: 'Search the repos the mirror knows, with filters and sorting' })
  @ApiQuery({ name: 'type', required: false, enum: ['model', 'dataset', 'space'] })
  @ApiQuery({ name: 'search', required: false, description: 'substring of the repo id' })
  @ApiQuery({ name: 'task', required: false, description: 'pipeline tag, e.g. text-generation' })
  @ApiQuery({ name: 'library', required: false })
  @ApiQuery({ name: 'filter', required: false, description: 'tags, comma-separated' })
  @ApiQuery({ name: 'format', required: false, description: 'safetensors, gguf, onnx, …' })
  @ApiQuery({ name: 'minSize', required: false, description: 'bytes, or 500MB / 2GiB' })
  @ApiQuery({ name: 'maxSize', required: false })
  @ApiQuery({ name: 'cached', required: false, description: 'only repos with cached files' })
  @ApiQuery({ name: 'sort', required: false, enum: CATALOGUE_SORTS })
  @ApiQuery({ name: 'direction', required: false, enum: ['-1', '1'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async search(
    @Caller() caller: RequestAccess,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Query() query: Record<string, unknown>,
  ) {
    const q = parseCatalogueQuery(query ?? {}, true);
    const page = await this.catalogue.search(q, upstreamAuthorizationOf(req), (rows: CatalogueRow[]) =>
      permittedRows(caller.ability, 'read', 'Repo', rows, (r) => ({ type: r.repoType, id: r.repoId })),
    );
    res.setHeader('X-Total-Count', String(page.total));
    if (page.next) {
      const url = new URL(req.originalUrl, 'http://mirror');
      url.searchParams.set('cursor', page.next);
      res.setHeader('Link', `<${url.pathname}${url.search}>; rel="next"`);
    }
    return page.items;
  }

  @Get('by-hash/:hash')
  @Requires('read', 'Repo')
  @ApiOperation({ summary: 'Repos, commits and paths holding a file with this sha256 or git blob id' })
  async byHash(@Caller() caller: RequestAccess, @Req() req: Request, @Param('hash') hash: string) {
    if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(hash))
      throw HubError.badRequest(
        'Invalid request path: hash: must be a sha256 (64 hex) or git blob id (40 hex)',
      );
    const hits = permittedRows(caller.ability, 'read', 'Repo', await this.catalogue.byContent(hash), (h) => ({
      type: h.type,
      id: h.id,
    }));
    const authorization = upstreamAuthorizationOf(req);
    const visible = [];
    for (const hit of hits)
      if (await this.catalogue.mayDownload({ type: hit.type as RepoRef['type'], id: hit.id }, authorization))
        visible.push(hit);
    return visible;
  }
}
