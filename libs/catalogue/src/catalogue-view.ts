/** A row of the search: the catalogue entry and what is cached of it. */
export interface CatalogueRow {
  repoType: string;
  repoId: string;
  author: string | null;
  pipelineTag: string | null;
  libraryName: string | null;
  license: string | null;
  tags: string;
  formats: string;
  gated: string;
  private: boolean | number | string;
  totalBytes: number | string | null;
  fileCount: number | string | null;
  parameters: number | string | null;
  lastCommit: string | null;
  lastModified: string | null;
  revisions: string;
  upstreamDownloads: number | string | null;
  upstreamLikes: number | string | null;
  downloads: number | string;
  firstAccessAt: number | string;
  lastAccessAt: number | string;
  cachedBytes: number | string | null;
  cachedFiles: number | string | null;
}

const n = (v: number | string | null) => (v === null || v === undefined ? null : Number(v));
const bool = (v: boolean | number | string) => v === true || v === 1 || v === '1' || v === 'true';
const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/** Whether only callers upstream admitted may see the repo. */
export function isRestricted(row: CatalogueRow): boolean {
  return bool(row.private) || (row.gated !== 'false' && row.gated !== '');
}

/**
 * One entry in the Hub's list shape (`GET /api/models`), so Hub clients read it as they read the
 * Hub's; the catalogue's own facts ride along under `dingo`.
 */
export function hubListItem(row: CatalogueRow): Record<string, unknown> {
  const tags = JSON.parse(row.tags) as string[];
  const gated = row.gated === 'false' ? false : row.gated;
  const item: Record<string, unknown> = {
    _id: row.repoId,
    id: row.repoId,
    author: row.author ?? undefined,
    private: bool(row.private),
    gated,
    downloads: n(row.upstreamDownloads) ?? 0,
    likes: n(row.upstreamLikes) ?? 0,
    tags,
    ...(row.pipelineTag && { pipeline_tag: row.pipelineTag }),
    ...(row.libraryName && { library_name: row.libraryName }),
    ...(row.repoType === 'model' && { modelId: row.repoId }),
    createdAt: iso(row.firstAccessAt),
    ...(row.lastModified && { lastModified: row.lastModified }),
    ...(row.lastCommit && { sha: row.lastCommit }),
  };
  item.dingo = {
    type: row.repoType,
    license: row.license,
    formats: row.formats.split(',').filter(Boolean),
    parameters: n(row.parameters),
    totalBytes: n(row.totalBytes),
    fileCount: n(row.fileCount),
    cachedBytes: n(row.cachedBytes) ?? 0,
    cachedFiles: n(row.cachedFiles) ?? 0,
    revisions: JSON.parse(row.revisions) as string[],
    mirrorDownloads: n(row.downloads) ?? 0,
    firstAccess: iso(row.firstAccessAt),
    lastAccess: iso(row.lastAccessAt),
  };
  return item;
}
