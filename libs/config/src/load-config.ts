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
  DINGO_UPSTREAMS: (c, v) => (c.upstreams = v.split(',').map((s) => s.trim()).filter(Boolean)),
  DINGO_DATA_DIR: (c, v) => (c.dataDir = v),
  DINGO_CHUNK_SIZE: (c, v) => (c.chunkSizeBytes = parseSize(v, 'DINGO_CHUNK_SIZE')),
  DINGO_READ_AHEAD_CHUNKS: (c, v) => (c.readAheadChunks = v),
  DINGO_MAX_CONCURRENT_PULLS: (c, v) => (c.maxConcurrentPulls = v),
  DINGO_REVISION_TTL_SECONDS: (c, v) => (c.revisionTtlSeconds = v),
  DINGO_AUTH_VERDICT_TTL_SECONDS: (c, v) => (c.authVerdictTtlSeconds = v),
  DINGO_UPSTREAM_TIMEOUT_MS: (c, v) => (c.upstreamTimeoutMs = v),
  DINGO_VERIFY_CHUNKS_ON_READ: (c, v) => (c.verifyChunksOnRead = !['0', 'false', 'no'].includes(v.toLowerCase())),
  DINGO_DB_TYPE: (c, v) => (c.database = { ...(c.database as object), type: v }),
  DINGO_DB_URL: (c, v) => (c.database = { ...(c.database as object), url: v }),
  DINGO_LOG_LEVEL: (c, v) => (c.logLevel = v),
};

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
