/**
 * The Hub's error vocabulary. Clients (huggingface_hub, @huggingface/hub) map `X-Error-Code` to
 * exception types, so the codes and statuses here follow the Hub's exactly.
 */
export type HubErrorCode =
  | 'RepoNotFound'
  | 'RevisionNotFound'
  | 'EntryNotFound'
  | 'GatedRepo'
  | 'BadRequest'
  | 'Conflict'
  | 'TooManyRequests'
  | 'PayloadTooLarge'
  | 'Forbidden'
  | 'Unauthorized'
  | 'UpstreamUnavailable'
  | 'BadGateway'
  | 'GatewayTimeout'
  | 'ServiceUnavailable'
  | 'InsufficientStorage'
  | 'IntegrityError'
  | 'NotFound'
  | 'InternalError';

export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: HubErrorCode,
    message: string,
    /** Extra response headers (e.g. Content-Range on 416). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HubError';
  }

  static repoNotFound(authenticated: boolean): HubError {
    // The Hub answers 401 to anonymous callers because the repo might be private.
    return authenticated
      ? new HubError(404, 'RepoNotFound', 'Repository not found')
      : new HubError(401, 'RepoNotFound', 'Repository not found');
  }
  static revisionNotFound(revision: string): HubError {
    return new HubError(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  }
  /** With the commit it was looked up at, so clients can cache the absence (huggingface_hub's `.no_exist`). */
  static entryNotFound(commit?: string): HubError {
    return new HubError(404, 'EntryNotFound', 'Entry not found', commit ? { 'X-Repo-Commit': commit } : {});
  }
  static badRequest(message: string): HubError {
    return new HubError(400, 'BadRequest', message);
  }
  static rangeNotSatisfiable(size: number): HubError {
    return new HubError(416, 'BadRequest', 'Requested range not satisfiable', {
      'Content-Range': `bytes */${size}`,
    });
  }
  static upstreamUnavailable(detail: string): HubError {
    return new HubError(
      503,
      'UpstreamUnavailable',
      `The upstream hub is unreachable and this content is not cached on the mirror (${detail})`,
    );
  }
  static notFound(message = 'Not Found'): HubError {
    return new HubError(404, 'NotFound', message);
  }
  static unauthorized(message: string): HubError {
    return new HubError(401, 'Unauthorized', message);
  }
  static forbidden(message: string): HubError {
    return new HubError(403, 'Forbidden', message);
  }
  static conflict(message: string): HubError {
    return new HubError(409, 'Conflict', message);
  }
  /** A write based on a commit that is no longer the branch head (the Hub's `parentCommit` check). */
  static preconditionFailed(message: string): HubError {
    return new HubError(412, 'Conflict', message);
  }
  static tooManyRequests(message: string): HubError {
    return new HubError(429, 'TooManyRequests', message);
  }
  static internal(): HubError {
    return new HubError(500, 'InternalError', 'Internal error');
  }
  /** Upstream answered, but not in a way the mirror can use or trust (bad headers, refused redirect, wrong bytes). */
  static badGateway(message: string): HubError {
    return new HubError(502, 'BadGateway', message);
  }
  static gatewayTimeout(message: string): HubError {
    return new HubError(504, 'GatewayTimeout', message);
  }
  static serviceUnavailable(message: string): HubError {
    return new HubError(503, 'ServiceUnavailable', message);
  }
  /** Upstream is down and the caller's right to a gated/private repo cannot be checked. */
  static accessUncheckable(repoId: string, why: string): HubError {
    return new HubError(
      503,
      'UpstreamUnavailable',
      `Cannot check access to ${repoId} while the upstream hub is unreachable (${why})`,
    );
  }
  static insufficientStorage(message: string): HubError {
    return new HubError(507, 'InsufficientStorage', message);
  }
  /** Bytes did not match their hash; the transfer is cut so a client never holds a wrong file. */
  static integrity(message: string): HubError {
    return new HubError(502, 'IntegrityError', message);
  }

  /** Headers and body in the Hub's wire format. */
  toResponse(requestId?: string): { status: number; headers: Record<string, string>; body: string } {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json; charset=utf-8',
      'X-Error-Code': this.code,
      // Header values must be latin1 without newlines.
      'X-Error-Message': this.message.replace(/[^\x20-\x7e]/g, '?'),
      ...this.headers,
    };
    if (requestId) headers['X-Request-Id'] = requestId;
    return { status: this.status, headers, body: JSON.stringify({ error: this.message }) };
  }
}
