import { createHash } from 'node:crypto';
import { Controller, Get, Inject, Logger, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PublicBase, PublicRoute } from '@dingo/contracts';
import { HubError } from '@dingo/hub-protocol';
import { isXetHashHex, parseReconstructionRange } from '@dingo/xet';
import { XET_CAS_PREFIX, XetMirror } from './xet-mirror';

const prefix = XET_CAS_PREFIX.slice(1);

/**
 * The mirror's CAS, as Xet clients call it: reconstructions (v1, v2; `Range` for part of a file)
 * with the mirror's bearer token, and xorb ranges behind the signed URLs those answers hand out.
 * Public for the access guard: both carry their own credentials.
 */
@Controller()
@PublicRoute()
export class XetCasController {
  private readonly log = new Logger(XetCasController.name);

  constructor(
    @Inject(XetMirror) private readonly xet: XetMirror,
    @Inject(PublicBase) private readonly publicBase: PublicBase,
  ) {}

  @Get(`${prefix}/:version/reconstructions/:hash`)
  async reconstruction(
    @Param('version') version: string,
    @Param('hash') hash: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (version !== 'v1' && version !== 'v2') throw HubError.notFound();
    if (!isXetHashHex(hash)) throw HubError.badRequest('Malformed file hash');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const claims = this.xet.tokens.open(bearer);
    if (!bearer || !claims) throw new HubError(401, 'Unauthorized', 'Missing or expired Xet token');
    const body = await this.xet.cas.reconstruction(
      hash,
      claims,
      bearer,
      parseReconstructionRange(req.headers.range),
      version === 'v1' ? 1 : 2,
      `${this.publicBase.for(req)}${XET_CAS_PREFIX}`,
    );
    res.json(body);
  }

  @Get(`${prefix}/xorbs/:xorb/:chunks`)
  async xorb(
    @Param('xorb') xorb: string,
    @Param('chunks') chunks: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const m = /^(\d+)-(\d+)$/.exec(chunks);
    const q = req.query as Record<string, string | undefined>;
    if (!isXetHashHex(xorb) || !m || !q.f || !q.t || !q.s) throw HubError.badRequest('Malformed xorb URL');
    const answer = await this.xet.cas.xorb(
      { xorb, chunkStart: Number(m[1]), chunkEnd: Number(m[2]), fileHash: q.f, token: q.t, signature: q.s },
      req.headers.range,
    );
    res.writeHead(answer.status, answer.headers);
    const hash = answer.sha256 ? createHash('sha256') : undefined;
    let held: Buffer | undefined;
    try {
      for await (const part of answer.body) {
        hash?.update(part as Buffer);
        // Hold the last piece back until the whole range has been checked.
        if (held && !res.write(held)) await new Promise((r) => res.once('drain', r));
        held = part as Buffer;
      }
      if (hash && hash.digest('hex') !== answer.sha256) {
        this.log.warn(`stored xorb ${xorb} range ${chunks} changed on disk; purged`);
        await answer.onCorrupt();
        res.destroy();
        return;
      }
      res.end(held);
    } catch (err) {
      res.destroy(err as Error);
    }
  }
}
