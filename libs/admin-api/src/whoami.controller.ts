import { Controller, Get, Next, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { optionalRequestAccess } from '@dingo/auth';

/**
 * `GET /api/whoami-v2` for mirror tokens (what `hf auth login` / `whoami()` call), answered by the
 * mirror; any other caller falls through to the Hub surface, which asks upstream.
 */
@ApiExcludeController()
@Controller('api')
export class WhoamiController {
  @Get('whoami-v2')
  whoami(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    const access = optionalRequestAccess(req);
    const principal = access?.principal;
    if (!access || principal?.kind !== 'user') return next();
    const canWrite = access.ability.can('upload', 'Repo');
    res.json({
      type: 'user',
      id: principal.userId,
      name: principal.username,
      fullname: principal.username,
      isPro: false,
      orgs: [],
      auth: {
        type: 'access_token',
        accessToken: {
          displayName: principal.tokenId ? 'dingospeed token' : 'dingospeed session',
          role: canWrite ? 'write' : 'read',
        },
      },
    });
  }
}
