import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, DingoConfig, DingoConfigInput } from './config.schema';

export class ConfigError extends Error {}

/** Environment variables and the config key each one sets. */
const ENV_KEYS: Record<string, (input: Record<string, unknown>, value: string) => void> = {
  DINGO_MODE: (c, v) => (c.mode = v),
  DINGO_HOST: (c, v) => (c.host = v),
  DINGO_PORT: (c, v) => (c.port = v),
  PORT: (c, v) => (c.port ??= v),
  DINGO_PUBLIC_URL: (c, v) => (c.publicUrl = v),
  DINGO_ALLOWED_HOSTS: (c, v) => (c.allowedHosts = list(v)),
  DINGO_UPSTREAM_ALLOW_PRIVATE: (c, v) =>
    (c.upstreamAllowPrivate = v === 'true' ? true : v === 'false' ? false : list(v)),
  DINGO_MIN_FREE_SPACE: (c, v) => (c.minFreeBytes = parseSize(v, 'DINGO_MIN_FREE_SPACE')),
  DINGO_MAX_CACHE_SIZE: (c, v) => (c.maxCacheBytes = parseSize(v, 'DINGO_MAX_CACHE_SIZE')),
  DINGO_COLD_DIR: (c, v) => (coldOf(c).dir = v),
  DINGO_S3_COLD_URL: (c, v) => (coldOf(c).s3Url = v),
  DINGO_HOT_TIER_SIZE: (c, v) => (coldOf(c).hotBytes = parseSize(v, 'DINGO_HOT_TIER_SIZE')),
  DINGO_COLD_MIN_SAVING: (c, v) => (coldOf(c).minCompressionSaving = v),
  DINGO_PROMOTE_AFTER_READS: (c, v) => (coldOf(c).promoteAfterReads = v),
  DINGO_STORAGE_CHECK_SECONDS: (c, v) => (c.storageCheckSeconds = v),
  DINGO_EVICTION_GRACE_SECONDS: (c, v) => (c.evictionGraceSeconds = v),
  DINGO_SCRUB_RATE: (c, v) => (c.scrubBytesPerSec = parseSize(v, 'DINGO_SCRUB_RATE')),
  DINGO_SCRUB_PAUSE_SECONDS: (c, v) => (c.scrubPauseSeconds = v),
  DINGO_UPSTREAMS: (c, v) => (c.upstreams = list(v)),
  DINGO_SWITCH_THRESHOLD_MS: (c, v) => (c.switchThresholdMs = v),
  DINGO_PROBE_INTERVAL_SECONDS: (c, v) => (c.probeIntervalSeconds = v),
  DINGO_PROBE_PATH: (c, v) => (c.probePath = v),
  DINGO_MULTI_SOURCE: (c, v) => (c.multiSource = !['0', 'false', 'no'].includes(v.toLowerCase())),
  DINGO_DATA_DIR: (c, v) => (c.dataDir = v),
  DINGO_CHUNK_SIZE: (c, v) => (c.chunkSizeBytes = parseSize(v, 'DINGO_CHUNK_SIZE')),
  DINGO_READ_AHEAD_CHUNKS: (c, v) => (c.readAheadChunks = v),
  DINGO_MAX_CONCURRENT_PULLS: (c, v) => (c.maxConcurrentPulls = v),
  DINGO_REVISION_TTL_SECONDS: (c, v) => (c.revisionTtlSeconds = v),
  DINGO_AUTH_VERDICT_TTL_SECONDS: (c, v) => (c.authVerdictTtlSeconds = v),
  DINGO_UPSTREAM_TIMEOUT_MS: (c, v) => (c.upstreamTimeoutMs = v),
  DINGO_SHUTDOWN_GRACE_SECONDS: (c, v) => (c.shutdownGraceSeconds = v),
  DINGO_DB_TYPE: (c, v) => (c.database = { ...(c.database as object), type: v }),
  DINGO_DB_URL: (c, v) => (c.database = { ...(c.database as object), url: v }),
  DINGO_LOG_LEVEL: (c, v) => (c.logLevel = v),
  DINGO_LOG_FORMAT: (c, v) => (c.logFormat = v),
  DINGO_REDIS_URL: (c, v) => (c.redisUrl = v),
  DINGO_S3_URL: (c, v) => (c.s3Url = v),
  DINGO_NAMESPACE: (c, v) => (c.namespace = v),
  DINGO_MEMORY_CACHE: (c, v) => (c.memoryCacheBytes = parseSize(v, 'DINGO_MEMORY_CACHE')),
  DINGO_TRUST_PROXY: (c, v) => (c.trustProxy = v === 'true' ? true : v === 'false' ? false : v),
  DINGO_CLUSTER_LOCK_TTL_MS: (c, v) => (c.clusterLockTtlMs = v),
  DINGO_MAX_BANDWIDTH: (c, v) => (c.maxBandwidthBytesPerSec = parseSize(v, 'DINGO_MAX_BANDWIDTH')),
  DINGO_ANONYMOUS_READ: (c, v) => (authOf(c).anonymousRead = !['0', 'false', 'no'].includes(v.toLowerCase())),
  DINGO_UPSTREAM_TOKEN_MODE: (c, v) => (authOf(c).upstreamTokenMode = v),
  DINGO_UPSTREAM_SERVICE_TOKEN: (c, v) => (authOf(c).upstreamServiceToken = v),
  DINGO_JWT_SECRET: (c, v) => (authOf(c).jwtSecret = v),
  DINGO_JWT_TTL_SECONDS: (c, v) => (authOf(c).jwtTtlSeconds = v),
  DINGO_TOKEN_TTL_DAYS: (c, v) => (authOf(c).tokenDefaultTtlDays = v),
  DINGO_POLICY_DEFAULT: (c, v) => (authOf(c).policyDefault = v),
  DINGO_ADMIN_USER: (c, v) => (authOf(c).adminUser = v),
  DINGO_ADMIN_PASSWORD: (c, v) => (authOf(c).adminPassword = v),
  DINGO_LOCAL_NAMESPACES: (c, v) => (c.localNamespaces = list(v)),
  DINGO_EDGE_PEERS: (c, v) => (edgeOf(c).peers = list(v)),
  DINGO_EDGE_ADVERTISE_URL: (c, v) => (edgeOf(c).advertiseUrl = v),
  DINGO_EDGE_PEER_RATE: (c, v) => (edgeOf(c).peerServeBytesPerSec = parseSize(v, 'DINGO_EDGE_PEER_RATE')),
  DINGO_EDGE_PEER_TIMEOUT_MS: (c, v) => (edgeOf(c).peerTimeoutMs = v),
  DINGO_XET_MODE: (c, v) => (xetOf(c).mode = v),
  DINGO_XET_TOKEN_SECRET: (c, v) => (xetOf(c).tokenSecret = v),
  DINGO_XET_TOKEN_TTL_SECONDS: (c, v) => (xetOf(c).tokenTtlSeconds = v),
  DINGO_MODELSCOPE_URL: (c, v) => (modelscopeOf(c).url = v),
  DINGO_MODELSCOPE_ID_MAP: (c, v) => (modelscopeOf(c).idMap = idMap(v)),
  DINGO_MODELSCOPE_REVISION: (c, v) => (modelscopeOf(c).revision = v),
  DINGO_MODELSCOPE_MAX_REVISIONS: (c, v) => (modelscopeOf(c).maxRevisions = v),
  DINGO_MODELSCOPE_LISTING_TTL_SECONDS: (c, v) => (modelscopeOf(c).listingTtlSeconds = v),
  DINGO_MODELSCOPE_UNSEEN_REPOS: (c, v) => (modelscopeOf(c).unseenRepos = v),
  DINGO_MODELSCOPE_PARALLEL: (c, v) =>
    (modelscopeOf(c).parallel = !['0', 'false', 'no', ''].includes(v.toLowerCase())),
};

/** The `modelscope` section of a config input, created (as a copy) when env vars set its keys. */
function modelscopeOf(c: Record<string, unknown>): Record<string, unknown> {
  c.modelscope = { ...((c.modelscope as object) ?? {}) };
  return c.modelscope as Record<string, unknown>;
}

/** DINGO_MODELSCOPE_ID_MAP: a JSON object, or comma-separated `hub=modelscope` pairs. */
function idMap(value: string): unknown {
  const text = value.trim();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`DINGO_MODELSCOPE_ID_MAP is not valid JSON: ${(err as Error).message}`);
    }
  }
  const out: Record<string, string> = {};
  for (const pair of list(text)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`DINGO_MODELSCOPE_ID_MAP entry "${pair}" is not hub=modelscope`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The `coldTier` section of a config input, created (as a copy) when env vars set its keys. */
function coldOf(c: Record<string, unknown>): Record<string, unknown> {
  c.coldTier = { ...((c.coldTier as object) ?? {}) };
  return c.coldTier as Record<string, unknown>;
}

/** The `xet` section of a config input, created (as a copy) when env vars set its keys. */
function xetOf(c: Record<string, unknown>): Record<string, unknown> {
  c.xet = { ...((c.xet as object) ?? {}) };
  return c.xet as Record<string, unknown>;
}

/** The `edge` section of a config input, created (as a copy) when env vars set its keys. */
function edgeOf(c: Record<string, unknown>): Record<string, unknown> {
  c.edge = { ...((c.edge as object) ?? {}) };
  return c.edge as Record<string, unknown>;
}

/** The `auth` section of a config input, created (as a copy) when env vars set its keys. */
function authOf(c: Record<string, unknown>): Record<string, unknown> {
  c.auth = { ...((c.auth as object) ?? {}) };
  return c.auth as Record<string, unknown>;
}

/** Accepts `16777216`, `16MB`, `16MiB`, `512k`. Sizes use binary units. */
export function parseSize(value: string, key: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?\s*$/i.exec(value);
  if (!m) throw new ConfigError(`${key}: "${value}" is not a size (examples: 16MB, 524288)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * unit);
}

/**
 * Builds the config from (lowest to highest precedence) defaults, the JSON file named by
 * DINGO_CONFIG, environment variables and explicit overrides; validates it once.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: DingoConfigInput = {},
): DingoConfig {
  let input: Record<string, unknown> = {};
  if (env.DINGO_CONFIG) {
    try {
      input = JSON.parse(readFileSync(env.DINGO_CONFIG, 'utf8'));
    } catch (err) {
      throw new ConfigError(`DINGO_CONFIG=${env.DINGO_CONFIG}: ${(err as Error).message}`);
    }
  }
  for (const [name, apply] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') apply(input, value);
  }
  Object.assign(input, overrides);
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid DingoSpeed configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export { z };

/**
 * For an app's main: the validated config, or a clear message and exit code 2. `defaults` are
 * the app's own (e.g. its port) and yield to the config file and environment.
 */
export function loadConfigOrExit(
  defaults: DingoConfigInput = {},
  env: NodeJS.ProcessEnv = process.env,
): DingoConfig {
  try {
    const base = loadConfig(env);
    const input: DingoConfigInput = {};
    for (const [key, value] of Object.entries(defaults)) {
      if (!isSetExplicitly(key, env)) (input as Record<string, unknown>)[key] = value;
    }
    return Object.keys(input).length ? loadConfig(env, input) : base;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

function isSetExplicitly(key: string, env: NodeJS.ProcessEnv): boolean {
  if (key === 'port') return Boolean(env.DINGO_PORT || env.PORT);
  if (key === 'memoryCacheBytes') return Boolean(env.DINGO_MEMORY_CACHE);
  return false;
}

/**
 * A start-up problem an operator fixes by changing the environment (a missing secret, a busy
 * port): app mains print its message as one line and exit, without a stack trace.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * The secrets every gateway of a distributed mirror must share (a session or CAS token one
 * gateway issues must open on the others). Checked before the app is assembled, so a missing one
 * is one line, not a dependency-injection stack trace.
 */
export function assertSharedGatewaySecrets(config: DingoConfig): void {
  if (config.mode !== 'distributed') return;
  if (!config.auth.jwtSecret)
    throw new StartupError(
      'DINGO_JWT_SECRET is required in distributed mode (the same 32+ random characters on every gateway), e.g. `openssl rand -hex 32`',
    );
  if (config.xet.mode === 'serve' && !config.xet.tokenSecret)
    throw new StartupError(
      'DINGO_XET_TOKEN_SECRET is required for a distributed mirror that serves Xet (the same 32+ random characters on every gateway)',
    );
}

/**
 * Runs an app's main: a StartupError or ConfigError (something the operator fixes in the
 * environment) is printed as one line, anything else with its stack; both exit with status 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof StartupError || err instanceof ConfigError) console.error(err.message);
    else console.error(err);
    process.exit(1);
  });
}
