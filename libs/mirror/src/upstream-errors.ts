import { HubError, HubErrorCode } from '@dingo/hub-protocol';
import { readSmallBody, UpstreamResponse } from '@dingo/upstream';

/** Rebuilds the upstream's Hub-format error so the client sees exactly what the Hub said. */
export async function hubErrorFrom(res: UpstreamResponse): Promise<HubError> {
  let message = res.headers['x-error-message'];
  if (!message) {
    try {
      const body = JSON.parse((await readSmallBody(res.body, 1 << 20)).toString('utf8'));
      message = typeof body.error === 'string' ? body.error : undefined;
    } catch {
      /* not JSON */
    }
  } else {
    res.body.resume();
  }
  const code = (res.headers['x-error-code'] as HubErrorCode | undefined) ?? defaultCode(res.status);
  return new HubError(res.status, code, message ?? `Upstream answered ${res.status}`);
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
