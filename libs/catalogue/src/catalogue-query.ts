import { z } from 'zod';
import { HubError } from '@dingo/hub-protocol';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `1234`, `1.5GB`, `512MiB` (case-insensitive) as bytes. */
const byteSize = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,6})?\s*([kmgt]i?)?b?$/i, 'must be a size in bytes, e.g. 500000000, 500MB or 2GiB')
  .transform((s) => {
    const m = /^([\d.]+)\s*([a-z]*)$/i.exec(s)!;
    const unit = m[2].toLowerCase();
    return Math.round(Number(m[1]) * (UNITS[unit] ?? UNITS[`${unit}b`]));
  });

const word = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f]*$/, 'must not hold control characters');

/** A query value that may be repeated (`filter=a&filter=b`) or comma-separated. */
const words = z.union([word(100), z.array(word(100)).max(20, 'at most 20 values')]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean),
);

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * Sort keys: the Hub's own (`downloads` and `likes` are upstream's counts as last seen;
 * `trending_score` sorts by downloads through this mirror, `createdAt` by first access), and the
 * catalogue's (`size` = total size, `cachedSize`, `lastAccess`, `mirrorDownloads`, `id`).
 */
export const CATALOGUE_SORTS = [
  'id',
  'downloads',
  'likes',
  'lastModified',
  'createdAt',
  'trending_score',
  'lastAccess',
  'mirrorDownloads',
  'size',
  'cachedSize',
] as const;
export type CatalogueSort = (typeof CATALOGUE_SORTS)[number];

const shape = {
  type: z.enum(['model', 'dataset', 'space']).optional(),
  search: word(200).optional(),
  author: word(100).optional(),
  task: word(64).optional(),
  pipeline_tag: word(64).optional(),
  library: word(64).optional(),
  filter: words.optional(),
  format: words.optional(),
  minSize: byteSize.optional(),
  maxSize: byteSize.optional(),
  cached: flag.optional(),
  sort: z.enum(CATALOGUE_SORTS).optional(),
  direction: z.enum(['-1', '1', 'asc', 'desc']).optional(),
  limit: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, 'must be between 1 and 1000')
    .optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'is not a cursor this mirror gave')
    .optional(),
  full: flag.optional(),
  local: flag.optional(),
};

/** What a catalogue search asks, validated. */
export interface CatalogueQuery {
  type?: 'model' | 'dataset' | 'space';
  search?: string;
  author?: string;
  task?: string;
  library?: string;
  tags: string[];
  formats: string[];
  minSize?: number;
  maxSize?: number;
  cachedOnly: boolean;
  sort: CatalogueSort;
  descending: boolean;
  limit: number;
  offset: number;
  full: boolean;
}

export const DEFAULT_LIMIT = 100;

/**
 * Parses a search's query parameters. `strict` (the admin API) refuses unknown keys; the Hub's
 * listing routes ignore them, as the Hub does (`expand[]`, `config`, …). A bad value is a 400 in
 * the Hub's error format naming the parameter.
 */
export function parseCatalogueQuery(input: Record<string, unknown>, strict: boolean): CatalogueQuery {
  const schema = strict ? z.object(shape).strict() : z.object(shape);
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => {
      const field = issue.path.length
        ? issue.path.join('.')
        : ((issue as { keys?: string[] }).keys?.join(', ') ?? 'query');
      return `${String(field).slice(0, 80)}: ${issue.message.slice(0, 200)}`;
    });
    throw HubError.badRequest(`Invalid request query: ${problems.join('; ')}`);
  }
  const q = parsed.data;
  if (q.minSize !== undefined && q.maxSize !== undefined && q.minSize > q.maxSize)
    throw HubError.badRequest('Invalid request query: minSize: must not be greater than maxSize');
  if (q.task && q.pipeline_tag && q.task !== q.pipeline_tag)
    throw HubError.badRequest('Invalid request query: task and pipeline_tag disagree');
  const sort = q.sort ?? 'id';
  return {
    type: q.type,
    search: q.search,
    author: q.author,
    task: q.task ?? q.pipeline_tag,
    library: q.library,
    tags: q.filter ?? [],
    formats: (q.format ?? []).map((f) => f.toLowerCase()),
    minSize: q.minSize,
    maxSize: q.maxSize,
    cachedOnly: q.cached ?? false,
    sort,
    // The Hub sorts descending unless told `direction=1`; names read best A→Z.
    descending: q.direction ? q.direction === '-1' || q.direction === 'desc' : sort !== 'id',
    limit: q.limit ?? DEFAULT_LIMIT,
    offset: q.cursor ? decodeCursor(q.cursor) : 0,
    full: q.full ?? false,
  };
}

/** Query parameters of a URL as an object; repeated keys become arrays. */
export function queryObject(url: string): Record<string, string | string[]> {
  const q = url.indexOf('?');
  const out: Record<string, string | string[]> = {};
  if (q < 0) return out;
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw HubError.badRequest('Invalid request query: cursor: is not a cursor this mirror gave');
  return Number(m[1]);
}
