import { DingoConfig } from '@dingo/config';
import { LocalNamespaces } from '@dingo/contracts';
import type { Credential } from './credential-verifier';

/** The access settings of `config.auth` the request path needs. */
export class AccessSettings {
  constructor(
    readonly anonymousRead: boolean,
    readonly upstreamTokenMode: 'passthrough' | 'service',
    readonly upstreamServiceToken: string | undefined,
    /** Repos hosted on the mirror: their reads never go upstream. */
    readonly localNamespaces = new LocalNamespaces([]),
  ) {}

  static fromConfig(config: DingoConfig): AccessSettings {
    const { anonymousRead, upstreamTokenMode, upstreamServiceToken } = config.auth;
    return new AccessSettings(
      anonymousRead,
      upstreamTokenMode,
      upstreamServiceToken,
      new LocalNamespaces(config.localNamespaces),
    );
  }
}

/**
 * What the mirror presents upstream for an allowed request:
 * - a bearer that is not a mirror credential (passthrough mode only; service mode refuses it) is
 *   the caller's own HF token: forwarded as-is;
 * - a mirror user reading a repo gets the mirror's service token, when one is configured;
 * - everything else (anonymous callers, listings, writes): nothing. A mirror token never leaves.
 */
export function upstreamAuthorizationFor(
  settings: AccessSettings,
  credential: Credential,
  repoRead: boolean,
): string | undefined {
  if (credential.kind === 'foreign')
    return settings.upstreamTokenMode === 'passthrough' ? credential.authorization : undefined;
  if (credential.kind === 'user' && repoRead && settings.upstreamServiceToken)
    return `Bearer ${settings.upstreamServiceToken}`;
  return undefined;
}
