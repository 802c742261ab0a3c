import { FirstByteTimeoutError } from '@dingo/concurrency';
import { HubError } from '@dingo/hub-protocol';
import { UpstreamBodyError, UpstreamRefusedError, UpstreamUnreachableError } from '@dingo/upstream';
import { UpstreamFileError } from './pull/upstream-file-reader';
import { BlockMismatchError } from './read/block-checked-stream';

/** The Hub-format answer for a failure of the mirror's data path; undefined for errors it does not own. */
export function mirrorErrorAsHubError(err: unknown): HubError | undefined {
  if (err instanceof HubError) return err;
  if (err instanceof FirstByteTimeoutError)
    return HubError.gatewayTimeout(`Upstream did not answer in time: ${err.message}`);
  if (err instanceof UpstreamUnreachableError)
    return err.timedOut ? HubError.gatewayTimeout(err.message) : HubError.upstreamUnavailable(err.message);
  if (
    err instanceof UpstreamRefusedError ||
    err instanceof UpstreamFileError ||
    err instanceof UpstreamBodyError
  )
    return HubError.badGateway(err.message);
  if (err instanceof BlockMismatchError) return HubError.integrity(err.message);
  return undefined;
}
