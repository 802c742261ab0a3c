import type { CatalogueQuery, CatalogueSort } from './catalogue-query';

/** A statement with `?` placeholders; backtick quoting, which both MySQL and SQLite accept. */
export interface SqlStatement {
  sql: string;
  params: Array<string | number>;
}

/**
 * Bytes and files the mirror holds complete, per repo: every blob a cached file of the repo names
 * (any commit, counted once), when verified. Read at query time so eviction shows at once.
 */
const CACHED_PER_REPO = `SELECT u.\`repoType\`, u.\`repoId\`, SUM(b.\`size\`) AS cachedBytes, COUNT(*) AS cachedFiles
  FROM (SELECT DISTINCT f.\`repoType\`, f.\`repoId\`,
          CASE WHEN f.\`sha256\` IS NOT NULL THEN CONCAT('sha256-', LOWER(f.\`sha256\`))
               ELSE CONCAT('gitsha1-', LOWER(f.\`blobId\`)) END AS blobKey
        FROM \`files\` f) u
  JOIN \`blobs\` b ON b.\`key\` = u.blobKey AND b.\`state\` = 'verified'
  GROUP BY u.\`repoType\`, u.\`repoId\``;

const SIZE = 'COALESCE(r.`totalBytes`, c.cachedBytes, 0)';

const ORDER: Record<CatalogueSort, string> = {
  id: 'r.`repoId`',
  downloads: 'COALESCE(r.`upstreamDownloads`, 0)',
  likes: 'COALESCE(r.`upstreamLikes`, 0)',
  lastModified: 'r.`lastModified`',
  createdAt: 'r.`firstAccessAt`',
  trending_score: 'r.`downloads`',
  mirrorDownloads: 'r.`downloads`',
  lastAccess: 'r.`lastAccessAt`',
  size: SIZE,
  cachedSize: 'COALESCE(c.cachedBytes, 0)',
};

/** `%`, `_` and the escape character itself, escaped for `LIKE … ESCAPE '!'`. */
export function likeEscaped(s: string): string {
  return s.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * The search as one SQL statement over `catalogue_repos` joined with what is cached. Paging is
 * left to the caller, which must first drop the rows the caller may not see.
 */
export function catalogueSql(q: CatalogueQuery): SqlStatement {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const add = (clause: string, ...values: Array<string | number>) => {
    where.push(clause);
    params.push(...values);
  };
  if (q.type) add('r.`repoType` = ?', q.type);
  if (q.search) add("LOWER(r.`repoId`) LIKE ? ESCAPE '!'", `%${likeEscaped(q.search.toLowerCase())}%`);
  if (q.author) add('r.`author` = ?', q.author);
  if (q.task) add('r.`pipelineTag` = ?', q.task);
  if (q.library) add('r.`libraryName` = ?', q.library);
  for (const tag of q.tags)
    add(
      "(r.`tags` LIKE ? ESCAPE '!' OR r.`libraryName` = ? OR r.`pipelineTag` = ?)",
      `%${likeEscaped(JSON.stringify(tag))}%`,
      tag,
      tag,
    );
  for (const format of q.formats) add("r.`formats` LIKE ? ESCAPE '!'", `%,${likeEscaped(format)},%`);
  if (q.minSize !== undefined) add(`${SIZE} >= ?`, q.minSize);
  if (q.maxSize !== undefined) add(`${SIZE} <= ?`, q.maxSize);
  if (q.cachedOnly) add('COALESCE(c.cachedBytes, 0) > 0');
  const dir = q.descending ? 'DESC' : 'ASC';
  const sql = [
    'SELECT r.*, COALESCE(c.cachedBytes, 0) AS cachedBytes, COALESCE(c.cachedFiles, 0) AS cachedFiles',
    'FROM `catalogue_repos` r',
    `LEFT JOIN (${CACHED_PER_REPO}) c ON c.\`repoType\` = r.\`repoType\` AND c.\`repoId\` = r.\`repoId\``,
    where.length ? `WHERE ${where.join(' AND ')}` : '',
    `ORDER BY ${ORDER[q.sort]} ${dir}, r.\`repoType\` ASC, r.\`repoId\` ASC`,
  ]
    .filter(Boolean)
    .join('\n');
  return { sql, params };
}
