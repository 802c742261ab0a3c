import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isXetHashHex,
  parseReconstructionRange,
  planReconstruction,
  toReconstructionV1,
  toReconstructionV2,
  type PlannedFetch,
} from '@dingo/xet';
import { HubError } from './hub-error';
import type { ResponseWriter } from './response-writer';
import type { SimContext } from './sim-context';
import { jsonResponse, type SimResponse } from './sim-response';

const RECONSTRUCTION = /^\/v([12])\/reconstructions\/([^/]+)$/;

/**
 * The CAS origin (`cas-server`): `GET /v1|v2/reconstructions/{file_hash}` (Range: part of the
 * file) and the batch `GET /v1/reconstructions?file_id=…`, behind the bearer tokens issued by
 * `xet-read-token`. Fetch URLs point at the CDN origin, presigned per xorb range.
 */
export class XetCasController {
  constructor(
    private readonly ctx: SimContext,
    private readonly writer: ResponseWriter,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.writer.serve('cas', req, res, casErrorResponse, () => this.answer(req));
  }

  private answer(req: IncomingMessage): SimResponse {
    if (req.method !== 'GET') throw new HubError(405, 'Method Not Allowed');
    const url = new URL(req.url ?? '/', 'http://cas');
    const grant = this.ctx.xetTokens.check(req.headers.authorization);
    if (!grant) throw new HubError(401, 'Missing or expired token');
    const readable = (hash: string) => this.ctx.registry.xetFileInRepo(grant.type, grant.id, hash);

    if (url.pathname === '/v1/reconstructions') {
      const ids = url.searchParams.getAll('file_id');
      if (ids.length === 0 || !ids.every(isXetHashHex)) throw new HubError(400, 'Bad file_id');
      return jsonResponse(200, this.batch(ids.filter(readable)));
    }
    const m = RECONSTRUCTION.exec(url.pathname);
    if (!m) throw new HubError(404, 'Not found');
    if (m[1] === '2' && !this.ctx.xetReconstructionV2) throw new HubError(404, 'Not found');
    const hash = m[2];
    if (!isXetHashHex(hash)) throw new HubError(400, 'Malformed file id');
    const file = readable(hash) ? this.ctx.xetStore.file(hash) : undefined;
    if (!file) throw new HubError(404, 'File not found');
    const plan = planReconstruction(
      file.terms,
      this.ctx.xetStore,
      parseReconstructionRange(req.headers.range),
    );
    if (!plan) throw new HubError(416, 'Range not satisfiable');
    const urlFor = (f: PlannedFetch) => this.ctx.xorbSigner.sign(this.ctx.cdnUrl, f.xorb, f.bytes);
    return jsonResponse(
      200,
      m[1] === '2' ? toReconstructionV2(plan, urlFor) : toReconstructionV1(plan, urlFor),
    );
  }

  private batch(ids: string[]) {
    const files: Record<string, unknown> = {};
    const fetch_info: Record<string, unknown[]> = {};
    for (const id of ids) {
      const file = this.ctx.xetStore.file(id);
      const plan = file && planReconstruction(file.terms, this.ctx.xetStore);
      if (!plan) continue;
      const v1 = toReconstructionV1(plan, (f) => this.ctx.xorbSigner.sign(this.ctx.cdnUrl, f.xorb, f.bytes));
      files[id] = v1.terms;
      for (const [xorb, list] of Object.entries(v1.fetch_info)) (fetch_info[xorb] ??= []).push(...list);
    }
    return { files, fetch_info };
  }
}

function casErrorResponse(err: HubError): SimResponse {
  return jsonResponse(err.status, { error: err.message });
}
