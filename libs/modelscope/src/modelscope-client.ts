import { Readable } from 'node:stream';
import {
  drain,
  isRedirect,
  readSmallBody,
  redirectTarget,
  UpstreamResponse,
  UpstreamSender,
} from '@dingo/upstream';

/**
 * One entry of ModelScope's file listing (`Data.Files[]` of GET /api/v1/models/{id}/repo/files),
 * as modelscope/modelscope hub/api.py `get_model_files` and file_download.py read it. Only the
 * fields the mirror uses are typed; ModelScope sends more (CommitMessage, CommittedDate, Mode, …).
 */
export interface ModelScopeFile {
  Name: string;
  Path: string;
  /** `blob` or `tree`. */
  Type: string;
  Size: number;
  /** Content sha256 (file_download.py checks downloads against it: FILE_HASH = 'Sha256'). */
  Sha256?: string;
  /** ModelScope's commit of the file (its own history, unrelated to the Hub's). */
  Revision?: string;
  IsLFS?: boolean;
}

/** A branch or tag of `Data.RevisionMap.{Branches,Tags}[]` (GET /api/v1/models/{id}/revisions). */
export interface ModelScopeRevision {
  Revision: string;
  CreatedAt?: number;
}

export interface ModelScopeRevisions {
  branches: ModelScopeRevision[];
  /** Newest first (hub/api.py: "tags returned from backend are guaranteed to be ordered by create-time"). */
  tags: ModelScopeRevision[];
}

export class ModelScopeError extends Error {
  constructor(
    message: string,
    /** Worth asking again later (5xx, 429, unreachable); false for 404s and malformed answers. */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelScopeError';
  }
}

const JSON_LIMIT = 32 * 1024 * 1024;

/**
 * The part of ModelScope's own HTTP API the mirror speaks, from its public client
 * (modelscope/modelscope, hub/api.py and hub/file_download.py):
 *
 * - GET {endpoint}/api/v1/models/{owner}/{name}/repo/files?Revision={rev}&Recursive=True
 *   → `{Code: 200, Success, Message, Data: {Files: [{Name, Path, Type, Size, Sha256, Revision, …}]}}`
 * - GET {endpoint}/api/v1/models/{owner}/{name}/revisions
 *   → `{Code: 200, Data: {RevisionMap: {Branches: [{Revision, CreatedAt}], Tags: [...]}}}`
 * - GET {endpoint}/api/v1/models/{owner}/{name}/repo?Revision={rev}&FilePath={path} with `Range:
 *   bytes=a-b` (file_download.py's parallel download) → 206 with the bytes, possibly after redirects.
 *
 * Every request goes through an UpstreamSender (UpstreamHttp with the mirror's address policy), so
 * neither the endpoint's redirects nor DNS can lead into the mirror's own network.
 */
export class ModelScopeClient {
  private readonly endpoint: string;

  constructor(
    private readonly http: UpstreamSender,
    endpoint: string,
  ) {
    this.endpoint = endpoint.replace(/\/+$/, '');
  }

  /** Every file (blobs only, recursive) of a model at a revision (branch, tag or ModelScope commit). */
  async listFiles(modelId: string, revision: string, signal?: AbortSignal): Promise<ModelScopeFile[]> {
    const query = new URLSearchParams({ Revision: revision, Recursive: 'True' });
    const data = await this.getJson(`/api/v1/models/${modelPath(modelId)}/repo/files?${query}`, signal);
    const files = (data as { Files?: unknown })?.Files;
    if (files === null || files === undefined) return []; // hub/api.py: "No files found"
    if (!Array.isArray(files))
      throw new ModelScopeError(`ModelScope file list of ${modelId} has no Files array`, false);
    return files.filter(isFile).filter((f) => f.Type !== 'tree');
  }

  async listRevisions(modelId: string, signal?: AbortSignal): Promise<ModelScopeRevisions> {
    const data = await this.getJson(`/api/v1/models/${modelPath(modelId)}/revisions`, signal);
    const map = (data as { RevisionMap?: { Branches?: unknown; Tags?: unknown } })?.RevisionMap;
    return { branches: revisionsOf(map?.Branches), tags: revisionsOf(map?.Tags) };
  }

  /** The download URL hub/file_download.py `get_file_download_url` builds. */
  fileUrl(modelId: string, revision: string, path: string): string {
    const query = new URLSearchParams({ Revision: revision, FilePath: path });
    return `${this.endpoint}/api/v1/models/${modelPath(modelId)}/repo?${query}`;
  }

  /**
   * Bytes [start, end] (inclusive, like the Range header) of a file: exactly those bytes, or a
   * ModelScopeError. A 200 is accepted only for a whole-file request (`size` known); compressed
   * bodies are refused (they are not the file's bytes).
   */
  async openRange(
    modelId: string,
    revision: string,
    path: string,
    start: number,
    end: number,
    size: number,
    signal?: AbortSignal,
  ): Promise<Readable> {
    const headers = { range: `bytes=${start}-${end}`, 'accept-encoding': 'identity' };
    let res: UpstreamResponse = await this.http.send({
      url: this.fileUrl(modelId, revision, path),
      headers,
      signal,
    });
    const visited = new Set<string>();
    while (isRedirect(res)) {
      drain(res.body);
      res = await this.http.send({ url: redirectTarget(res, visited).toString(), headers, signal });
    }
    const encoding = res.headers['content-encoding'];
    const exact = res.status === 206 || (res.status === 200 && start === 0 && end === size - 1);
    if (exact && (!encoding || encoding === 'identity') && rangeMatches(res, start, end)) return res.body;
    drain(res.body);
    if (exact)
      throw new ModelScopeError(
        `ModelScope sent ${path} with Content-Encoding ${encoding} or another range`,
        false,
      );
    throw new ModelScopeError(
      `ModelScope answered ${res.status} for bytes ${start}-${end} of ${modelId}/${path}`,
      res.status >= 500 || res.status === 429,
      res.status,
    );
  }

  private async getJson(path: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.http.send({
      url: `${this.endpoint}${path}`,
      headers: { accept: 'application/json' },
      signal,
    });
    const body = await readSmallBody(res.body, JSON_LIMIT, res.headers['content-encoding']);
    let doc: { Code?: unknown; Success?: unknown; Message?: unknown; Data?: unknown } | undefined;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      doc = undefined;
    }
    if (res.status !== 200 || !doc || typeof doc !== 'object') {
      const why = doc && typeof doc.Message === 'string' ? `: ${doc.Message}` : '';
      throw new ModelScopeError(
        `ModelScope answered ${res.status} for ${path}${why}`,
        res.status >= 500 || res.status === 429,
        res.status,
      );
    }
    // hub/errors.py raise_on_error: anything but Code 200 is an error, whatever the HTTP status.
    if (doc.Code !== 200 || doc.Success === false)
      throw new ModelScopeError(`ModelScope refused ${path}: ${String(doc.Message ?? doc.Code)}`, false, 200);
    return doc.Data;
  }
}

/** `owner/name` as ModelScope puts it in the URL path (each part percent-encoded, the slash kept). */
function modelPath(modelId: string): string {
  return modelId.split('/').map(encodeURIComponent).join('/');
}

function isFile(f: unknown): f is ModelScopeFile {
  const o = f as ModelScopeFile;
  return !!o && typeof o.Path === 'string' && typeof o.Type === 'string' && typeof o.Size === 'number';
}

function revisionsOf(list: unknown): ModelScopeRevision[] {
  if (!Array.isArray(list)) return [];
  return list.filter(
    (r): r is ModelScopeRevision => !!r && typeof (r as ModelScopeRevision).Revision === 'string',
  );
}

/** A 206 must say it carries the bytes asked for (Content-Range), not some other part. */
function rangeMatches(res: UpstreamResponse, start: number, end: number): boolean {
  if (res.status !== 206) return true;
  const m = /^bytes (\d+)-(\d+)\//.exec(res.headers['content-range'] ?? '');
  return !!m && Number(m[1]) === start && Number(m[2]) === end;
}
