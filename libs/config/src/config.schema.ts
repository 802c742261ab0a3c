import { z } from 'zod';

const MiB = 1024 * 1024;

/** Upstream hub origins, tried in order of measured health (first is preferred at start). */
const upstreamList = z
  .array(z.url({ protocol: /^https?$/ }))
  .min(1)
  .transform((urls) => urls.map((u) => u.replace(/\/+$/, '')));

/** Identity and access: who may read, upload, delete and manage what (libs/auth). */
const authSchema = z
  .object({
    /** Anonymous callers may read (download, list); false in a locked-down deployment. */
    anonymousRead: z.boolean().default(true),
    /**
     * What the mirror presents upstream. `passthrough`: a client bearer that is not a mirror
     * credential is the caller's own HF token and is forwarded. `service`: only mirror credentials
     * are accepted, and the mirror presents `upstreamServiceToken` for reads of repos the caller may read.
     */
    upstreamTokenMode: z.enum(['passthrough', 'service']).default('passthrough'),
    /** The mirror's own upstream (HF) token; never shown to clients, never sent for anonymous callers. */
    upstreamServiceToken: z.string().min(1).optional(),
    /** HS256 key for admin session JWTs; generated into `<dataDir>/jwt-secret` when unset (set it for several gateways). */
    jwtSecret: z.string().min(32, 'auth.jwtSecret must be at least 32 characters').optional(),
    jwtTtlSeconds: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(3600),
    /** Lifetime of a personal access token when the request names none. */
    tokenDefaultTtlDays: z.coerce.number().int().min(1).max(3650).default(90),
    /** Upstream repo policy for repos no allow/deny rule matches: `deny` makes the allow list an approved-only list. */
    policyDefault: z.enum(['allow', 'deny']).default('allow'),
    /** Bootstrap admin created on first start (no users yet). */
    adminUser: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{1,63}$/,
        'auth.adminUser must be 2-64 lowercase letters, digits, ".", "_" or "-"',
      )
      .default('admin'),
    /** Its password; when unset one is generated and written to `<dataDir>/admin-password` (mode 0600). */
    adminPassword: z
      .string()
      .min(12, 'auth.adminPassword must be at least 12 characters')
      .max(256)
      .optional(),
  })
  .strict();

export type AuthConfig = z.infer<typeof authSchema>;

/** Whether clients download Xet-backed files over plain HTTP, or over Xet from the mirror (libs/xet-mirror). */
const xetSchema = z
  .object({
    /** `http`: Xet signals are removed and files are served over HTTP. `serve`: the mirror is a Xet CAS for its clients. */
    mode: z.enum(['http', 'serve']).default('http'),
    /** Key of the mirror's CAS tokens; generated into `<dataDir>/xet-token-secret` when unset (set the same on every gateway). */
    tokenSecret: z.string().min(32, 'xet.tokenSecret must be at least 32 characters').optional(),
    /** Lifetime of the CAS tokens the mirror hands out (clients refresh them through the token route). */
    tokenTtlSeconds: z.coerce.number().int().min(60).max(86_400).default(3600),
  })
  .strict();

export type XetConfig = z.infer<typeof xetSchema>;

const modelscopePart = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** ModelScope as a fallback and extra source of file bytes (libs/modelscope); off unless `url` is set. */
export const modelscopeSchema = z
  .object({
    /** ModelScope endpoint, e.g. https://www.modelscope.cn; unset = never asked. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Hub id → ModelScope id, whole orgs (`meta-llama` → `LLM-Research`) or single repos
     * (`org/repo` → `ms-org/ms-repo`); consulted before the built-in org renames.
     */
    idMap: z
      .record(z.string(), z.string())
      .default({})
      .superRefine((map, ctx) => {
        for (const [from, to] of Object.entries(map)) {
          const a = from.split('/');
          const b = to.split('/');
          if (a.length > 2 || a.length !== b.length || ![...a, ...b].every((p) => modelscopePart.test(p)))
            ctx.addIssue({
              code: 'custom',
              message: `modelscope.idMap "${from}=${to}": map org=org or org/repo=org/repo`,
            });
        }
      }),
    /** The ModelScope revision listed first (its default branch is `master`). */
    revision: z.string().min(1).default('master'),
    /** Other branches/tags listed when that revision lacks the file's content. */
    maxRevisions: z.coerce.number().int().min(0).max(20).default(3),
    /** How long a ModelScope file listing is trusted. */
    listingTtlSeconds: z.coerce.number().int().min(0).default(300),
    /**
     * Repos the Hub was never reached for, served from ModelScope's listing alone (no Hub sha256 to
     * check against): `mapped` only ids an entry maps (configured or built-in renames: someone
     * chose that ModelScope namespace), `all` also same-named ids (a namespace may belong to
     * someone else there), `none` never.
     */
    unseenRepos: z.enum(['none', 'mapped', 'all']).default('mapped'),
    /**
     * Also pull the chunks of an LFS file from ModelScope in parallel with the hub (multi-source,
     * by throughput) when its listing names the same sha256; off: ModelScope only as the fallback.
     */
    parallel: z.boolean().default(false),
  })
  .strict();

export type ModelScopeConfig = z.infer<typeof modelscopeSchema>;

export const configSchema = z
  .object({
    mode: z.enum(['embedded', 'distributed']).default('embedded'),
    host: z.string().min(1).default('0.0.0.0'),
    port: z.coerce.number().int().min(0).max(65535).default(8090),
    /**
     * Public URL clients use to reach the mirror; upstream `Link`/`Location` URLs are rewritten onto
     * it. When unset, the request's Host is used if it is one the mirror serves (see allowedHosts).
     */
    publicUrl: z.url().optional(),
    /**
     * Host names (with or without port) the mirror answers to besides its own addresses, for
     * building links when publicUrl is unset; a Host not listed is never reflected into a link.
     */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /**
     * Internal (loopback, private, link-local) addresses the mirror may fetch from besides its
     * configured upstreams: `false` (none; redirects to them are refused), `true` (any), or a list of
     * origins (e.g. an internal CDN).
     */
    upstreamAllowPrivate: z.union([z.boolean(), z.array(z.url({ protocol: /^https?$/ }))]).default(false),
    upstreams: upstreamList.default(['https://huggingface.co']),
    /** Switch to another upstream origin when the current one is this much slower (ms, moving averages). */
    switchThresholdMs: z.coerce.number().int().min(0).default(300),
    /** Every upstream origin is probed this often (latency, trouble, recovery); 0 = off. */
    probeIntervalSeconds: z.coerce.number().min(0).default(30),
    /** The cheap request a probe sends to each origin (a relative path). */
    probePath: z.string().startsWith('/').default('/api/models?limit=1'),
    /**
     * When several upstream origins serve the same blob (same commit, same sha256/git blob id), pull
     * its chunks from all of them in parallel, weighted by measured throughput.
     */
    multiSource: z.boolean().default(true),
    dataDir: z.string().min(1).default('./data'),
    chunkSizeBytes: z.coerce
      .number()
      .int()
      .min(256 * 1024, 'chunkSizeBytes must be at least 256 KiB')
      .max(512 * MiB, 'chunkSizeBytes must be at most 512 MiB')
      .default(16 * MiB),
    /** Chunks fetched ahead of a sequential reader, in parallel, per file. */
    readAheadChunks: z.coerce.number().int().min(0).max(64).default(4),
    /** Upstream connections across all files (chunk pulls). */
    maxConcurrentPulls: z.coerce.number().int().min(1).max(256).default(16),
    /** How long a branch/tag -> commit mapping is trusted before asking upstream again. */
    revisionTtlSeconds: z.coerce.number().int().min(0).default(60),
    /** How long an upstream answer for (token, gated/private repo) is trusted. */
    authVerdictTtlSeconds: z.coerce.number().int().min(0).default(300),
    /** While upstream is unreachable, trust older positive verdicts for this long. */
    offlineVerdictGraceSeconds: z.coerce.number().int().min(0).default(86_400),
    upstreamTimeoutMs: z.coerce.number().int().min(100).default(30_000),
    /** On shutdown, how long downloads in flight may take to finish before their connections are closed. */
    shutdownGraceSeconds: z.coerce.number().min(0).default(10),
    upstreamRetries: z.coerce.number().int().min(0).max(20).default(4),
    /** Below this much free space in the data directory, nothing new is cached (507) and chunks are evicted. */
    minFreeBytes: z.coerce
      .number()
      .int()
      .min(0)
      .default(256 * MiB),
    /** Stored bytes (all tiers) above which least recently read chunks are evicted; 0 = no quota. */
    maxCacheBytes: z.coerce.number().int().min(0).default(0),
    /** A second, larger and slower tier (a directory embedded, a bucket distributed); chunks move there by age. */
    coldTier: z
      .object({
        dir: z.string().min(1).optional(),
        s3Url: z
          .string()
          .regex(/^s3:\/\//, 'coldTier.s3Url must be an s3:// URL')
          .optional(),
        /** Hot-tier bytes above which least recently read chunks move to the cold tier. */
        hotBytes: z.coerce.number().int().min(0).default(0),
        /** Compress a chunk moved to the cold tier only if that saves at least this fraction. */
        minCompressionSaving: z.coerce.number().min(0).max(0.99).default(0.1),
        /** Reads of a cold chunk (within minutes) that bring it back to the hot tier. */
        promoteAfterReads: z.coerce.number().int().min(1).default(2),
      })
      .strict()
      .default({ hotBytes: 0, minCompressionSaving: 0.1, promoteAfterReads: 2 }),
    /** How often quota, floor and tiers are checked (also after chunks land). */
    storageCheckSeconds: z.coerce.number().int().min(1).default(10),
    /** A blob read this recently is never evicted (its readers may be on another node). */
    evictionGraceSeconds: z.coerce.number().int().min(0).default(60),
    /** Background re-check of stored chunks against their block digests, bytes/s (0 = off). */
    scrubBytesPerSec: z.coerce
      .number()
      .int()
      .min(0)
      .default(16 * MiB),
    /** Rest between two scrub passes. */
    scrubPauseSeconds: z.coerce.number().int().min(0).default(3600),
    /** Memory LRU of whole chunks in front of the chunk store, in bytes (0 = off; the edge turns it on). */
    memoryCacheBytes: z.coerce.number().int().min(0).default(0),
    database: z
      .object({
        type: z.enum(['sqlite', 'mysql']).default('sqlite'),
        /** sqlite: file path (default `<dataDir>/metadata.sqlite`); mysql: connection URL. */
        url: z.string().optional(),
      })
      .default({ type: 'sqlite' }),
    logLevel: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    /** `text` for people, `json` (one object per line, with request ids) for log shippers. */
    logFormat: z.enum(['text', 'json']).default('text'),
    /**
     * Which proxies may set X-Forwarded-For (audit client IP, login throttling): `false` (none),
     * `true` (any: only behind a proxy that overwrites the header), or Express's list form
     * (`loopback, 10.0.0.0/8`).
     */
    trustProxy: z.union([z.boolean(), z.string().min(1)]).default(false),
    /** Distributed mode: Redis for the metadata transport, BullMQ and cluster locks. */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'redisUrl must be a redis:// URL')
      .optional(),
    /** Distributed mode: chunk store, `s3://key:secret@host:port/bucket[/prefix]?ssl=false`. */
    s3Url: z
      .string()
      .regex(/^s3:\/\//, 's3Url must be an s3:// URL')
      .optional(),
    /** Prefix for Redis keys, queues and channels, so deployments can share one Redis. */
    namespace: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
      .default('dingo'),
    /** Upstream bytes per second across this process's chunk pulls; 0 = unlimited. */
    maxBandwidthBytesPerSec: z.coerce.number().int().min(0).default(0),
    /** Lease on a chunk pull across the cluster; a crashed holder's pull is taken over after this. */
    clusterLockTtlMs: z.coerce.number().int().min(1000).default(30_000),
    /**
     * Namespaces whose repos are hosted on the mirror (pushed with the Hub's upload API), never
     * fetched from upstream: names or `prefix-*` patterns. Empty: no hosted repos.
     */
    localNamespaces: z
      .array(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\*?$/, 'localNamespaces: a name or a `prefix*` pattern'),
      )
      .default([]),
    /** A mirror-edge's LAN sharing with other edges (libs/edge-peers); ignored by other apps. */
    edge: z
      .object({
        /**
         * Peer edges on the LAN (`http://10.0.0.2:8091`), set by the operator: missing chunks are
         * fetched from them before the gateway, each checked against the gateway's chunk sha256.
         */
        peers: z.array(z.url({ protocol: /^https?$/ })).default([]),
        /** This edge's URL as peers reach it; with redisUrl it is registered there for discovery. */
        advertiseUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** Bytes per second this edge serves to peers in total; 0 = unlimited. */
        peerServeBytesPerSec: z.coerce.number().int().min(0).default(0),
        /** A peer that does not answer (or stalls) this long is skipped. */
        peerTimeoutMs: z.coerce.number().int().min(100).default(5_000),
      })
      .strict()
      .default({ peers: [], peerServeBytesPerSec: 0, peerTimeoutMs: 5_000 }),
    /** Identity and access control (libs/auth). */
    auth: authSchema.default(authSchema.parse({})),
    /** Xet: HTTP-only or Xet-serving (libs/xet-mirror). */
    xet: xetSchema.default(xetSchema.parse({})),
    /** ModelScope fallback/extra source (libs/modelscope). */
    modelscope: modelscopeSchema.default(modelscopeSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const [path, value] of [
      [['auth', 'jwtSecret'], c.auth.jwtSecret],
      [['auth', 'adminPassword'], c.auth.adminPassword],
      [['xet', 'tokenSecret'], c.xet.tokenSecret],
    ] as const) {
      if (value !== undefined && isExampleSecret(value))
        ctx.addIssue({
          code: 'custom',
          path: [...path],
          message: `${path.join('.')} is a placeholder from the examples: set a real, random value`,
        });
    }
    const cold = c.coldTier;
    if (cold.dir || cold.s3Url) {
      if (cold.hotBytes <= 0)
        ctx.addIssue({
          code: 'custom',
          path: ['coldTier', 'hotBytes'],
          message: 'a cold tier needs the hot tier size (DINGO_HOT_TIER_SIZE) that makes chunks move there',
        });
      if (c.mode === 'distributed' ? !cold.s3Url : !cold.dir)
        ctx.addIssue({
          code: 'custom',
          path: ['coldTier'],
          message:
            c.mode === 'distributed'
              ? 'a distributed cold tier is a bucket: set DINGO_S3_COLD_URL'
              : 'an embedded cold tier is a directory: set DINGO_COLD_DIR',
        });
    }
    if (c.mode !== 'distributed') return;
    for (const key of ['redisUrl', 's3Url'] as const) {
      if (!c[key])
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} is required in distributed mode` });
    }
    if (c.database.type !== 'mysql') {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'type'],
        message: 'distributed mode needs database.type mysql (DINGO_DB_TYPE=mysql)',
      });
    }
  });

/** Values from our examples (deploy/compose.env.example, the k8s secret template, the README). */
const EXAMPLE_SECRETS = new Set(['change-me-to-a-long-shared-secret-0123456789', 'change-me-please']);

export function isExampleSecret(value: string): boolean {
  return /change[\s_-]*me/i.test(value) || EXAMPLE_SECRETS.has(value.toLowerCase());
}

export type DingoConfig = z.infer<typeof configSchema>;
export type DingoConfigInput = z.input<typeof configSchema>;
