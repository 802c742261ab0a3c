import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from './access-policy';
import { HubError } from './hub-error';
import { parseHubRoute, type HubRoute } from './hub-routes';
import { RepoApiController } from './repo-api-controller';
import { ResolveController } from './resolve-controller';
import type { ResponseWriter } from './response-writer';
import type { SimContext } from './sim-context';
import { hubErrorResponse, hubHeaders, type SimResponse } from './sim-response';
import { isTrue, TreeController } from './tree-controller';

const MAX_BODY = 1 << 20;

/** The hub origin: routes each request to its controller. */
export class HubRequestHandler {
  private readonly resolver: ResolveController;
  private readonly repoApi: RepoApiController;
  private readonly trees: TreeController;

  constructor(
    private readonly ctx: SimContext,
    private readonly writer: ResponseWriter,
  ) {
    this.resolver = new ResolveController(ctx);
    this.repoApi = new RepoApiController(ctx);
    this.trees = new TreeController(ctx);
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.writer.serve('hub', req, res, hubErrorResponse, () => this.answer(req));
  }

  private async answer(req: IncomingMessage): Promise<SimResponse> {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') return preflight(req);
    // Split by hand: WHATWG URL parsing would resolve '..' and '%2E%2E' before we can refuse them.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const route = parseHubRoute(method, pathname, this.ctx.registry);
    const caller = this.ctx.policy.caller(req);
    if (route.kind === 'paths-info') {
      return this.trees.pathsInfo(route, await readPathsInfoBody(req), caller);
    }
    if (method !== 'GET' && method !== 'HEAD') throw HubError.methodNotAllowed();
    return this.dispatch(route, query, req, caller);
  }

  private dispatch(route: HubRoute, query: URLSearchParams, req: IncomingMessage, caller: Caller) {
    switch (route.kind) {
      case 'resolve':
        return this.resolver.handle(route, req, caller);
      case 'info':
        return this.repoApi.info(route, query, caller);
      case 'tree':
        return this.trees.tree(route, query, caller);
      case 'refs':
        return this.repoApi.refs(route, query, caller);
      case 'xet-read-token':
        return this.repoApi.xetReadToken(route, caller);
      case 'list':
        return this.repoApi.list(route.type, query, caller);
      case 'whoami':
        return this.repoApi.whoami(caller);
      default:
        throw HubError.routeNotFound();
    }
  }
}

function preflight(req: IncomingMessage): SimResponse {
  return {
    status: 204,
    headers: hubHeaders({
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
      'Access-Control-Max-Age': '86400',
    }),
  };
}

/** `paths` and `expand`, from JSON (huggingface.js) or a form (huggingface_hub: repeated `paths`). */
async function readPathsInfoBody(req: IncomingMessage): Promise<{ paths: string[]; expand: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw HubError.badRequest('Request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    let json: { paths?: unknown; expand?: unknown };
    try {
      json = JSON.parse(text);
    } catch {
      throw HubError.badRequest('Invalid JSON body');
    }
    const paths = typeof json.paths === 'string' ? [json.paths] : json.paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw HubError.badRequest('"paths" must be an array of strings');
    }
    return { paths, expand: json.expand === true || isTrue(String(json.expand)) };
  }
  const form = new URLSearchParams(text);
  return { paths: [...form.getAll('paths'), ...form.getAll('paths[]')], expand: isTrue(form.get('expand')) };
}
