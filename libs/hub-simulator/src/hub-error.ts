import type { SimRepoType } from './types';

/** An error the Hub reports with `{"error": message}`, `X-Error-Message` and (for domain errors) `X-Error-Code`. */
export class HubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    /** Extra response headers, e.g. the X-Repo-Commit of an EntryNotFound. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** 401 when the caller is anonymous (the repo may be private), 404 when authenticated. */
  static repoNotFound(authenticated: boolean): HubError {
    return new HubError(authenticated ? 404 : 401, 'Repository not found', 'RepoNotFound');
  }

  static revisionNotFound(rev: string): HubError {
    return new HubError(404, `Invalid rev id: ${rev}`, 'RevisionNotFound');
  }

  /**
   * With the commit the revision resolved to: huggingface_hub reads X-Repo-Commit from this 404 to
   * cache the file's absence (`.no_exist/<commit>/<path>`) and skip the request next time.
   */
  static entryNotFound(commit?: string): HubError {
    return new HubError(404, 'Entry not found', 'EntryNotFound', commit ? { 'X-Repo-Commit': commit } : {});
  }

  static gatedAnonymous(type: SimRepoType, id: string): HubError {
    return new HubError(
      401,
      `Access to ${type} ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      'GatedRepo',
    );
  }

  static gatedNotApproved(type: SimRepoType, id: string, repoPageUrl: string): HubError {
    return new HubError(
      403,
      `Access to ${type} ${id} is restricted and you are not in the authorized list. Visit ${repoPageUrl} to ask for access.`,
      'GatedRepo',
    );
  }

  static invalidCredentials(): HubError {
    return new HubError(401, 'Invalid credentials in Authorization header');
  }

  static badRequest(message: string): HubError {
    return new HubError(400, message);
  }

  static routeNotFound(): HubError {
    return new HubError(404, "Sorry, we can't find the page you are looking for.");
  }

  static methodNotAllowed(): HubError {
    return new HubError(405, 'Method not allowed');
  }

  /** The body the Hub's front answers with for a server-side status (fault injection). */
  static forStatus(status: number): HubError {
    const messages: Record<number, string> = {
      429: 'You have exceeded our hourly quotas for action: resolve. We invite you to retry later.',
      500: "Internal Error - We're working hard to fix this as soon as possible!",
      502: 'Bad Gateway',
      503: 'Service Unavailable',
      504: 'Gateway Timeout',
    };
    return new HubError(status, messages[status] ?? `Error ${status}`);
  }
}
