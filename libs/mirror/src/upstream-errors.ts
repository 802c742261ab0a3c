import { HubError, HubErrorCode } from '@dingo/hub-protocol';
import { readSmallBody, UpstreamResponse } from '@dingo/upstream';

/** Rebuilds the upstream's Hub-format error so the client sees exactly what the Hub said. */
export async function hubErrorFrom(res: UpstreamResponse): Promise<HubError> {
  let message = res.headers['x-error-message'];
  if (!message) {
    try {
      const body = JSON.parse(
        (await readSmallBody(res.body, 1 << 20, res.headers['content-encoding'])).toString('utf8'),
      );
      message = typeof body.error === 'string' ? body.error : undefined;
    } catch {
      /* not JSON */
    }
  } else {
    res.body.resume();
  }
  const upstreamCode = res.headers['x-error-code'];
  const code =
    upstreamCode && /^[A-Za-z]{1,64}$/.test(upstreamCode)
      ? (upstreamCode as HubErrorCode)
      : defaultCode(res.status);
  // The commit of an EntryNotFound lets clients cache the absence (huggingface_hub's `.no_exist`).
  const commit = res.headers['x-repo-commit'];
  const headers: Record<string, string> =
    commit && /^[0-9a-f]{40}$/.test(commit) ? { 'X-Repo-Commit': commit } : {};
  return new HubError(res.status, code, message || `Upstream answered ${res.status}`, headers);
}

function defaultCode(status: number): HubErrorCode {
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status >= 500) return 'UpstreamUnavailable';
  return 'BadRequest';
}

/** Upstream answers that mean "this caller may not see this repo". */
export function isAccessDenial(err: HubError): boolean {
  return err.status === 401 || err.status === 403 || (err.status === 404 && err.code === 'RepoNotFound');
}
