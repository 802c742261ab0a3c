import { Controller, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PublicRoute } from '@dingo/contracts';
import { RepoType } from '@dingo/hub-protocol';
import { HostedLfs, Signed } from './hosted-lfs';
import { gitRepo, objectSize, typeOf, UploadParams } from './hosted-lfs.controller';

type PartParams = UploadParams & { n: string };

/**
 * The multipart LFS transfer: parts PUT to signed URLs (answered with an ETag), then the signed
 * completion call. No credentials on either, as with the Hub's storage: the signatures are the check.
 */
@Controller()
export class HostedMultipartController {
  constructor(@Inject(HostedLfs) private readonly lfs: HostedLfs) {}

  @PublicRoute()
  @Put(':ns/:repo/info/lfs/objects/:oid/:size/part/:n')
  partModel(
    @Req() req: Request,
    @Res() res: Response,
    @Param() p: PartParams,
    @Query() q: Signed,
  ): Promise<void> {
    return this.part(req, res, 'model', p, q);
  }

  @PublicRoute()
  @Put(':types/:ns/:repo/info/lfs/objects/:oid/:size/part/:n')
  partTyped(
    @Req() req: Request,
    @Res() res: Response,
    @Param() p: PartParams & { types: string },
    @Query() q: Signed,
  ): Promise<void> {
    return this.part(req, res, typeOf(p.types), p, q);
  }

  @PublicRoute()
  @Post(':ns/:repo/info/lfs/objects/:oid/:size/complete')
  @HttpCode(200)
  async completeModel(@Param() p: UploadParams, @Query() q: Signed): Promise<unknown> {
    await this.lfs.completeMultipart(gitRepo('model', p), p.oid, objectSize(p), q);
    return {};
  }

  @PublicRoute()
  @Post(':types/:ns/:repo/info/lfs/objects/:oid/:size/complete')
  @HttpCode(200)
  async completeTyped(@Param() p: UploadParams & { types: string }, @Query() q: Signed): Promise<unknown> {
    await this.lfs.completeMultipart(gitRepo(typeOf(p.types), p), p.oid, objectSize(p), q);
    return {};
  }

  private async part(req: Request, res: Response, type: RepoType, p: PartParams, q: Signed): Promise<void> {
    const etag = await this.lfs.uploadPart(gitRepo(type, p), p.oid, objectSize(p), Number(p.n), q, req);
    res.status(200).setHeader('ETag', etag);
    res.setHeader('Access-Control-Expose-Headers', 'ETag');
    res.end();
  }
}
