import { Controller, HttpCode, Inject, Param, Post, Put, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { PublicBase, PublicRoute } from '@dingo/contracts';
import { HubError, RepoRef, RepoType } from '@dingo/hub-protocol';
import { HostedLfs } from './hosted-lfs';
import { jsonBody } from './request-body';

const LFS_JSON = 'application/vnd.git-lfs+json';

/** `/{id}.git/info/lfs/objects/…` (and `/datasets/…`, `/spaces/…`): the LFS batch API and its uploads. */
@Controller()
export class HostedLfsController {
  constructor(
    @Inject(HostedLfs) private readonly lfs: HostedLfs,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
  ) {}

  @Post(':ns/:repo/info/lfs/objects/batch')
  @HttpCode(200)
  model(@Req() req: Request, @Param() p: GitParams): Promise<unknown> {
    return this.batch(req, 'model', p);
  }

  @Post(':types/:ns/:repo/info/lfs/objects/batch')
  @HttpCode(200)
  typed(@Req() req: Request, @Param() p: GitParams & { types: string }): Promise<unknown> {
    return this.batch(req, typeOf(p.types), p);
  }

  // Signed URLs handed out by the batch answer: huggingface_hub PUTs without credentials.
  @PublicRoute()
  @Put(':ns/:repo/info/lfs/objects/:oid/:size')
  uploadModel(@Req() req: Request, @Param() p: UploadParams, @Query() q: Signed): Promise<void> {
    return this.upload(req, 'model', p, q);
  }

  @PublicRoute()
  @Put(':types/:ns/:repo/info/lfs/objects/:oid/:size')
  uploadTyped(
    @Req() req: Request,
    @Param() p: UploadParams & { types: string },
    @Query() q: Signed,
  ): Promise<void> {
    return this.upload(req, typeOf(p.types), p, q);
  }

  private async batch(req: Request, type: RepoType, p: GitParams): Promise<unknown> {
    const answer = await this.lfs.batch(gitRepo(type, p), await jsonBody(req), this.publicBase.for(req));
    req.res?.setHeader('Content-Type', LFS_JSON);
    return answer;
  }

  private async upload(req: Request, type: RepoType, p: UploadParams, q: Signed): Promise<void> {
    await this.lfs.upload(gitRepo(type, p), p.oid, objectSize(p), q, req);
  }
}

export interface GitParams {
  ns: string;
  repo: string;
}
export type UploadParams = GitParams & { oid: string; size: string };
type Signed = { expires?: string; sig?: string };

export function typeOf(plural: string): RepoType {
  if (plural === 'datasets') return 'dataset';
  if (plural === 'spaces') return 'space';
  throw HubError.notFound();
}

export function gitRepo(type: RepoType, p: GitParams): RepoRef {
  if (!p.repo.endsWith('.git')) throw HubError.notFound();
  return { type, id: `${p.ns}/${p.repo.slice(0, -'.git'.length)}` };
}

/** The object's size from an upload URL (after checking its oid). */
export function objectSize(p: UploadParams): number {
  const size = Number(p.size);
  if (!/^[0-9a-f]{64}$/.test(p.oid) || !Number.isSafeInteger(size) || size < 0) throw HubError.notFound();
  return size;
}
