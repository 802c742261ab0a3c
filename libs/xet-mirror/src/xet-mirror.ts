import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChunkStore } from '@dingo/chunk-store';
import { type DingoConfig, StartupError } from '@dingo/config';
import { HubError, type RepoRef } from '@dingo/hub-protocol';
import { UpstreamUnreachableError } from '@dingo/upstream';
import { CasTokens } from './cas-tokens';
import { SqliteXetIndex } from './sqlite-xet-index';
import { UpstreamCas, type UpstreamSender } from './upstream-cas';
import { XetCasService } from './xet-cas-service';
import type { XetIndex } from './xet-index';
import { XetResolveAdvisor } from './xet-resolve-advisor';
import { XorbRangeStore } from './xorb-range-store';

/** Where the mirror's CAS lives under its public URL. */
export const XET_CAS_PREFIX = '/xet-cas';

/** What a deployment gives the Xet mirror: the core's stores and its way upstream. */
export interface XetMirrorDeps {
  store: ChunkStore;
  upstream: UpstreamSender;
  /** The Xet index; default: SQLite at `<dataDir>/xet-index.sqlite`. */
  index?: XetIndex;
  /** Tells the core this mirror may hold whole files (so a HEAD offline is not refused). */
  registerCachedSource?: (holds: (file: { sha256: string | null }) => Promise<boolean>) => void;
  /** Offline, whether a caller may read a repo (the core's cached upstream verdicts). */
  offlineAccess?: (repo: RepoRef, authorization: string | undefined) => Promise<'allow' | 'deny' | 'unknown'>;
}

export interface XetTokenAnswer {
  accessToken: string;
  exp: number;
  casUrl: string;
}

/** The Xet-serving mirror, wired once from config and the core's adapters. */
export class XetMirror {
  readonly tokens: CasTokens;
  readonly index: XetIndex;
  readonly upstreamCas: UpstreamCas;
  readonly ranges: XorbRangeStore;
  readonly cas: XetCasService;
  readonly advisor: XetResolveAdvisor;

  constructor(
    private readonly config: DingoConfig,
    private readonly deps: XetMirrorDeps,
  ) {
    this.tokens = new CasTokens(tokenSecret(config), config.xet.tokenTtlSeconds);
    this.index = deps.index ?? new SqliteXetIndex(join(mkdirp(config.dataDir), 'xet-index.sqlite'));
    this.upstreamCas = new UpstreamCas(deps.upstream);
    this.ranges = new XorbRangeStore(
      deps.store,
      this.index,
      (url, bytes) => this.upstreamCas.xorbRange(url, bytes),
      join(config.dataDir, 'staging'),
      config.upstreamRetries,
    );
    this.cas = new XetCasService(this.index, this.ranges, this.upstreamCas, this.tokens);
    this.advisor = new XetResolveAdvisor(config.xet.mode, this.index, deps.upstream, XET_CAS_PREFIX);
    deps.registerCachedSource?.((file) => this.holdsComplete(file.sha256));
  }

  /** Whether every chunk of the file with this sha256 is stored and verified (served over Xet offline). */
  async holdsComplete(sha256: string | null): Promise<boolean> {
    const known = sha256 ? await this.index.getContentXetHash(sha256) : undefined;
    if (!known?.xetHash) return false;
    return (await this.index.getFile(known.xetHash))?.verified ?? false;
  }

  async issueToken(
    repo: RepoRef,
    rev: string,
    upstreamAuthorization: string | undefined,
    publicBase: string,
  ): Promise<XetTokenAnswer> {
    try {
      // Upstream decides gated/private access for these credentials (and the token is needed on a miss anyway).
      await this.upstreamCas.token(repo, rev, upstreamAuthorization);
    } catch (err) {
      if (!(err instanceof UpstreamUnreachableError)) throw err;
      const verdict = (await this.deps.offlineAccess?.(repo, upstreamAuthorization)) ?? 'unknown';
      if (verdict !== 'allow') {
        throw new HubError(
          503,
          'UpstreamUnavailable',
          `Cannot check access to ${repo.id} while upstream is unreachable`,
        );
      }
    }
    const { token, exp } = this.tokens.issue({
      type: repo.type,
      id: repo.id,
      rev,
      up: upstreamAuthorization,
    });
    return { accessToken: token, exp, casUrl: `${publicBase}${XET_CAS_PREFIX}` };
  }

  async close(): Promise<void> {
    await this.index.close();
  }
}

function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `xet.tokenSecret`, else one generated once into `<dataDir>/xet-token-secret` (0600). */
function tokenSecret(config: DingoConfig): string {
  if (config.xet.tokenSecret) return config.xet.tokenSecret;
  // A token one gateway issues must open on any other.
  if (config.mode === 'distributed')
    throw new StartupError(
      'DINGO_XET_TOKEN_SECRET is required for a distributed mirror that serves Xet (the same 32+ random characters on every gateway)',
    );
  const file = join(mkdirp(config.dataDir), 'xet-token-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return readFileSync(file, 'utf8').trim();
  }
}
