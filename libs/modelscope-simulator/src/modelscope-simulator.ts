import { createHash } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/** One file of a simulated ModelScope model at a revision. */
export interface MsSimFile {
  path: string;
  content: Buffer;
  /** List this sha256 instead of the content's (a listing that lies about the bytes). */
  listedSha256?: string;
  /** Serve the bytes with one byte flipped (the listing keeps the true sha256). */
  corrupt?: boolean;
}

export interface MsSimModel {
  /** `owner/name` as ModelScope spells it. */
  id: string;
  /** Branch name → files (ModelScope's default branch is `master`). */
  branches: Record<string, MsSimFile[]>;
  /** Tag name → files; listed newest first in the order given. */
  tags?: Record<string, MsSimFile[]>;
}

export interface MsSimOptions {
  port?: number;
  host?: string;
  /** Answer file downloads with a 302 to an OSS-like URL on this server, like the real site's CDN. */
  redirectDownloads?: boolean;
  /** Origin the download redirect points at (default: this server, relative), e.g. another host name for it. */
  ossOrigin?: string;
}

export interface MsSimStats {
  /** Requests per route: `files`, `revisions`, `download`, `oss`, `other`. */
  requests: Record<string, number>;
  /** File bytes written, per `owner/name/path`. */
  bytesServed: Record<string, number>;
}

interface Stored {
  file: MsSimFile;
  sha256: string;
  commit: string;
}

/**
 * A ModelScope hub, written from the wire format its public client reads (modelscope/modelscope
 * hub/api.py, hub/file_download.py, hub/errors.py):
 *
 * - GET /api/v1/models/{owner}/{name}/repo/files?Revision=&Recursive=&Root=
 *   → {Code: 200, Data: {Files: [{CommitMessage, CommittedDate, CommitterName, InCheck, IsLFS,
 *     Mode, Name, Path, Revision, Sha256, Size, Type}]}, Message: "success", RequestId, Success: true}
 * - GET /api/v1/models/{owner}/{name}/revisions
 *   → {Code: 200, Data: {RevisionMap: {Branches: [{Revision, CreatedAt}], Tags: [...]}}, …}
 * - GET /api/v1/models/{owner}/{name}/repo?Revision=&FilePath= (Range supported: 206 / 416)
 *
 * Unknown models, revisions and files answer HTTP 404 with `{Code: 404, Message, Success: false}`
 * (the real site's error codes are not in the client source; the client only checks Code != 200).
 */
export class ModelScopeSimulator {
  private readonly models = new Map<string, MsSimModel>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  readonly stats: MsSimStats = { requests: {}, bytesServed: {} };
  private port = 0;

  private constructor(private readonly options: MsSimOptions) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(options: MsSimOptions = {}): Promise<ModelScopeSimulator> {
    const sim = new ModelScopeSimulator(options);
    await new Promise<void>((resolve, reject) => {
      sim.server.once('error', reject);
      sim.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    sim.port = (sim.server.address() as AddressInfo).port;
    return sim;
  }

  get url(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Where download redirects point from now on (a test can aim them at another host name). */
  setOssOrigin(origin: string | undefined): void {
    this.options.ossOrigin = origin;
  }

  addModel(model: MsSimModel): void {
    this.models.set(model.id, model);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private count(route: string): void {
    this.stats.requests[route] = (this.stats.requests[route] ?? 0) + 1;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.error(res, 405, 'method not allowed');
    if (url.pathname === '/_sim/stats') {
      this.count('other');
      return json(res, 200, this.stats);
    }
    const oss = /^\/oss\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (oss) {
      this.count('oss');
      const model = this.models.get(decodeURIComponent(oss[1]));
      const rev = url.searchParams.get('Revision') ?? 'master';
      const stored = model && this.file(model, rev, url.searchParams.get('FilePath') ?? '');
      if (!model || !stored) return this.error(res, 404, 'object not found');
      return this.sendFile(req, res, model, stored);
    }
    const m = /^\/api\/v1\/models\/([^/]+)\/([^/]+)\/(repo\/files|revisions|repo)$/.exec(url.pathname);
    if (!m) {
      this.count('other');
      return this.error(res, 404, `no route ${url.pathname}`);
    }
    const id = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
    const model = this.models.get(id);
    const route = m[3] === 'repo/files' ? 'files' : m[3] === 'revisions' ? 'revisions' : 'download';
    this.count(route);
    if (!model) return this.error(res, 404, `model ${id} not found`);
    const revision = url.searchParams.get('Revision') ?? 'master';
    if (route === 'revisions') return json(res, 200, ok({ RevisionMap: revisionMap(model) }));
    if (route === 'files') {
      const files = this.revisionFiles(model, revision);
      if (!files) return this.error(res, 404, `model ${id} has no revision ${revision}`);
      const recursive = /^true$/i.test(url.searchParams.get('Recursive') ?? 'false');
      const root = (url.searchParams.get('Root') ?? '').replace(/^\/+|\/+$/g, '');
      return json(res, 200, ok({ Files: listing(files, root, recursive) }));
    }
    const path = url.searchParams.get('FilePath') ?? '';
    const stored = this.file(model, revision, path);
    if (!stored) return this.error(res, 404, `file ${path} not found in ${id}@${revision}`);
    if (this.options.redirectDownloads) {
      const target = `${this.options.ossOrigin ?? ''}/oss/${encodeURIComponent(id)}/${encodeURIComponent(stored.sha256)}?${new URLSearchParams({ Revision: revision, FilePath: path })}`;
      res.writeHead(302, { location: target, 'content-length': '0' });
      return void res.end();
    }
    this.sendFile(req, res, model, stored);
  }

  private revisionFiles(model: MsSimModel, revision: string): Stored[] | undefined {
    const files = model.branches[revision] ?? model.tags?.[revision];
    if (!files) return undefined;
    const commit = sha1(`${model.id}@${revision}`);
    return files.map((file) => ({ file, sha256: sha256(file.content), commit }));
  }

  private file(model: MsSimModel, revision: string, path: string): Stored | undefined {
    return this.revisionFiles(model, revision)?.find((s) => s.file.path === path);
  }

  private sendFile(req: IncomingMessage, res: ServerResponse, model: MsSimModel, stored: Stored): void {
    let bytes = stored.file.content;
    if (stored.file.corrupt && bytes.length) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length >> 1] ^= 0xff;
    }
    const size = bytes.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const r = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (r && (r[1] !== '' || r[2] !== '')) {
        if (r[1] === '') {
          start = Math.max(0, size - Number(r[2]));
        } else {
          start = Number(r[1]);
          end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
        }
        if (start >= size || start > end) {
          res.writeHead(416, { 'content-range': `bytes */${size}` });
          return void res.end();
        }
        status = 206;
      }
    }
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    const key = `${model.id}/${stored.file.path}`;
    this.stats.bytesServed[key] = (this.stats.bytesServed[key] ?? 0) + (end - start + 1);
    res.end(bytes.subarray(start, end + 1));
  }

  private error(res: ServerResponse, status: number, message: string): void {
    json(res, status, { Code: status, Message: message, RequestId: requestId(), Success: false });
  }
}

function ok(data: unknown): Record<string, unknown> {
  return { Code: 200, Data: data, Message: 'success', RequestId: requestId(), Success: true };
}

function listing(files: Stored[], root: string, recursive: boolean): Record<string, unknown>[] {
  const under = files.filter((s) => !root || s.file.path.startsWith(`${root}/`));
  const out: Record<string, unknown>[] = [];
  const dirs = new Set<string>();
  for (const s of under) {
    const rel = root ? s.file.path.slice(root.length + 1) : s.file.path;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = [root, ...parts.slice(0, i)].filter(Boolean).join('/');
      if ((recursive || i === 1) && !dirs.has(dir)) {
        dirs.add(dir);
        out.push(entry(dir, 'tree', 0, '', s.commit, false));
      }
    }
    if (!recursive && parts.length > 1) continue;
    const sha = s.file.listedSha256 ?? s.sha256;
    out.push(
      entry(s.file.path, 'blob', s.file.content.length, sha, s.commit, s.file.content.length >= 1_000_000),
    );
  }
  return out;
}

function entry(path: string, type: string, size: number, sha256: string, commit: string, lfs: boolean) {
  return {
    CommitMessage: 'upload',
    CommittedDate: 1_700_000_000,
    CommitterName: 'simulator',
    InCheck: false,
    IsLFS: lfs,
    Mode: type === 'tree' ? '40000' : '33188',
    Name: path.split('/').pop()!,
    Path: path,
    Revision: commit,
    Sha256: sha256,
    Size: size,
    Type: type,
  };
}

function revisionMap(model: MsSimModel): Record<string, unknown> {
  const created = 1_700_000_000;
  return {
    Branches: Object.keys(model.branches).map((Revision) => ({ Revision, CreatedAt: created })),
    Tags: Object.keys(model.tags ?? {}).map((Revision, i) => ({ Revision, CreatedAt: created - i })),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function requestId(): string {
  return crypto.randomUUID();
}
