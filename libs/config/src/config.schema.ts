import { z } from 'zod';

const MiB = 1024 * 1024;

/** Upstream hub origins, tried in order of measured health (first is preferred at start). */
const upstreamList = z
  .array(z.url({ protocol: /^https?$/ }))
  .min(1)
  .transform((urls) => urls.map((u) => u.replace(/\/+$/, '')));

export const configSchema = z
  .object({
    mode: z.enum(['embedded', 'distributed']).default('embedded'),
    host: z.string().min(1).default('0.0.0.0'),
    port: z.coerce.number().int().min(0).max(65535).default(8090),
    /** Public URL clients use to reach the mirror; used to rewrite upstream `Link` headers. Derived from Host when unset. */
    publicUrl: z.url().optional(),
    upstreams: upstreamList.default(['https://huggingface.co']),
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
    upstreamRetries: z.coerce.number().int().min(0).max(20).default(4),
    /** Hash every whole chunk read from the store and refuse to serve one that changed on disk. */
    verifyChunksOnRead: z.coerce.boolean().default(true),
    database: z
      .object({
        type: z.enum(['sqlite', 'mysql']).default('sqlite'),
        /** sqlite: file path (default `<dataDir>/metadata.sqlite`); mysql: connection URL. */
        url: z.string().optional(),
      })
      .default({ type: 'sqlite' }),
    logLevel: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  })
  .strict();

export type DingoConfig = z.infer<typeof configSchema>;
export type DingoConfigInput = z.input<typeof configSchema>;
