import { createHash } from 'node:crypto';
import {
  encodeFilePath,
  encodeRevision,
  HubError,
  type HubErrorCode,
  type RepoRef,
  repoUrlPrefix,
} from '@dingo/hub-protocol';
import { readSmallBody, type UpstreamRequest, type UpstreamResponse } from '@dingo/upstream';
import { normalizeReconstruction, type ReconstructionTerm } from '@dingo/xet';

/** The mirror's way upstream (the UpstreamRouter: relative URLs go to the chosen hub, absolute ones as they are). */
export interface UpstreamSender {
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
}

export interface UpstreamCasToken {
  casUrl: string;
  token: string;
  /** Unix seconds. */
  exp: number;
}

export interface UpstreamReconstruction {
  offsetIntoFirstRange: number;
  terms: ReconstructionTerm[];
  fetches: {
    xorb: string;
    chunks: { start: number; end: number };
    bytes: { start: number; end: number };
    url: string;
  }[];
}

/** Refresh a cached upstream token this long before it expires (the client's own margin is 30–60 s). */
const TOKEN_MARGIN_MS = 120_000;
const MAX_JSON = 64 * 1024 * 1024;

/**
 * Upstream's Xet surface as the mirror uses it: the token route (per caller: tokens are kept in
 * this process only, keyed by repo, revision and a hash of the caller's upstream credentials), the
 * CAS reconstruction API (whole files, v1) and xorb ranges from presigned URLs.
 */
export class UpstreamCas {
  private readonly tokens = new Map<string, Promise<UpstreamCasToken>>();

  constructor(private readonly upstream: UpstreamSender) {}

  token(repo: RepoRef, rev: string, authorization: string | undefined): Promise<UpstreamCasToken> {
    const who = authorization ? createHash('sha256').update(authorization).digest('hex') : 'anonymous';
    const key = `${repo.type}\0${repo.id}\0${rev}\0${who}`;
    const cached = this.tokens.get(key);
    if (cached) {
      return cached.then((t) =>
        t.exp * 1000 - TOKEN_MARGIN_MS > Date.now() ? t : this.fetchToken(key, repo, rev, authorization),
      );
    }
    return this.fetchToken(key, repo, rev, authorization);
  }

  private fetchToken(
    key: string,
    repo: RepoRef,
    rev: string,
    authorization?: string,
  ): Promise<UpstreamCasToken> {
    const p = (async () => {
      const res = await this.upstream.send({
        url: `/api/${repo.type}s/${repo.id}/xet-read-token/${encodeRevision(rev)}`,
        headers: { authorization },
      });
      if (res.status !== 200) throw await upstreamError(res);
      const h = res.headers;
      let casUrl = h['x-xet-cas-url'];
      let token = h['x-xet-access-token'];
      let exp = Number(h['x-xet-token-expiration']);
      const body = (await readSmallBody(res.body, 1 << 20)).toString('utf8');
      if (!casUrl || !token || !Number.isFinite(exp)) {
        const json = JSON.parse(body) as { casUrl?: string; accessToken?: string; exp?: number };
        casUrl = json.casUrl;
        token = json.accessToken;
        exp = Number(json.exp);
      }
      if (!casUrl || !token || !Number.isFinite(exp)) {
        throw new HubError(502, 'UpstreamUnavailable', `Upstream gave no Xet token for ${repo.id}`);
      }
      return { casUrl: casUrl.replace(/\/+$/, ''), token, exp };
    })();
    this.tokens.set(key, p);
    p.catch(() => this.tokens.delete(key));
    return p;
  }

  /** The whole file's reconstruction. 404 → EntryNotFound. */
  async reconstruction(t: UpstreamCasToken, fileHash: string): Promise<UpstreamReconstruction> {
    const res = await this.upstream.send({
      url: `${t.casUrl}/v1/reconstructions/${fileHash}`,
      headers: { authorization: `Bearer ${t.token}` },
    });
    if (res.status !== 200) throw await upstreamError(res);
    return normalizeReconstruction(JSON.parse((await readSmallBody(res.body, MAX_JSON)).toString('utf8')));
  }

  /** Bytes of a presigned xorb range (the exact signed Range). */
  async xorbRange(url: string, bytes: { start: number; end: number }, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.upstream.send({
      url,
      headers: { range: `bytes=${bytes.start}-${bytes.end}` },
      signal,
    });
    if (res.status !== 206 && res.status !== 200) throw await upstreamError(res);
    const wanted = bytes.end - bytes.start + 1;
    // A server that ignores Range sends the whole xorb (at most 64 MiB of chunks plus its footer).
    const body = await readSmallBody(res.body, res.status === 200 ? 256 * 1024 * 1024 : wanted);
    if (res.status === 200) return body.subarray(bytes.start, bytes.end + 1);
    if (body.length !== wanted) {
      throw new HubError(
        502,
        'UpstreamUnavailable',
        `Xorb range cut short (${body.length} of ${wanted} bytes)`,
      );
    }
    return body;
  }
}

export function resolveUrl(repo: RepoRef, commit: string, path: string): string {
  return `/${repoUrlPrefix(repo.type)}${repo.id}/resolve/${encodeRevision(commit)}/${encodeFilePath(path)}`;
}

/** Upstream's refusal, kept as the Hub said it (status, code, message). */
export async function upstreamError(res: UpstreamResponse): Promise<HubError> {
  let message = res.headers['x-error-message'];
  try {
    const text = (await readSmallBody(res.body, 1 << 20)).toString('utf8');
    if (!message) message = (JSON.parse(text) as { error?: string }).error;
  } catch {
    /* not JSON */
  }
  const code = (res.headers['x-error-code'] as HubErrorCode | undefined) ?? defaultCode(res.status);
  return new HubError(res.status, code, message ?? `Upstream answered ${res.status}`);
}

function defaultCode(status: number): HubErrorCode {
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 416) return 'BadRequest';
  if (status >= 500) return 'UpstreamUnavailable';
  return 'BadRequest';
}
