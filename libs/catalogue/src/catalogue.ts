import { DataSource } from 'typeorm';
import { EXPOSED_HEADERS, RepoRef } from '@dingo/hub-protocol';
import { TypeOrmMetadataStore } from '@dingo/metadata-store';
import type { ApiAnswer, LocalListingRequest } from '@dingo/mirror';
import { CatalogueQuery, encodeCursor, parseCatalogueQuery, queryObject } from './catalogue-query';
import { CatalogueRecorder } from './catalogue-recorder';
import { catalogueSql } from './catalogue-sql';
import { CatalogueRow, hubListItem, isRestricted } from './catalogue-view';

/** May this caller download the repo's cached content (the mirror's rule for gated/private repos)? */
export type MayServe = (repo: RepoRef, authorization: string | undefined) => Promise<boolean>;

export interface CataloguePage {
  items: Array<Record<string, unknown>>;
  /** Matches the caller may see, over all pages. */
  total: number;
  /** The cursor of the next page, if there is one. */
  next?: string;
}

/** Where a file's bytes are known, found by content hash. */
export interface ContentHit {
  type: string;
  id: string;
  commit: string;
  path: string;
  size: number;
  sha256: string | null;
  blobId: string | null;
}

/**
 * The catalogue: a searchable index of the repos the mirror knows, filled by its recorder (hooked
 * on the mirror) and read by the admin API, the Hub listing routes (offline or when asked) and the
 * CLI. Results hold only what the caller may download.
 */
export class Catalogue {
  readonly recorder: CatalogueRecorder;
  private readonly meta: TypeOrmMetadataStore;

  constructor(
    private readonly ds: DataSource,
    private readonly mayServe: MayServe,
  ) {
    this.recorder = new CatalogueRecorder(ds);
    this.meta = new TypeOrmMetadataStore(ds);
  }

  /** A search; `visible` narrows further (the admin API's grants). */
  async search(
    q: CatalogueQuery,
    authorization: string | undefined,
    visible: (rows: CatalogueRow[]) => CatalogueRow[] = (rows) => rows,
  ): Promise<CataloguePage> {
    const { sql, params } = catalogueSql(q);
    const rows = visible(await this.ds.query<CatalogueRow[]>(sql, params));
    const allowed: CatalogueRow[] = [];
    for (const row of rows)
      if (
        !isRestricted(row) ||
        (await this.mayServe({ type: row.repoType as RepoRef['type'], id: row.repoId }, authorization))
      )
        allowed.push(row);
    const page = allowed.slice(q.offset, q.offset + q.limit);
    const next = q.offset + q.limit < allowed.length ? encodeCursor(q.offset + q.limit) : undefined;
    const items = page.map(hubListItem);
    if (q.full) await Promise.all(page.map((row, i) => this.addSiblings(row, items[i])));
    return { items, total: allowed.length, next };
  }

  /** `GET /api/models?…` (or datasets) answered from the catalogue, in the Hub's shape and paging. */
  async listing(req: LocalListingRequest): Promise<ApiAnswer> {
    const input = queryObject(req.url);
    const q = parseCatalogueQuery({ ...input, type: req.type }, false);
    const mayRead = req.mayRead;
    const page = await this.search(q, req.authorization, (rows) =>
      mayRead ? rows.filter((r) => mayRead({ type: r.repoType as RepoRef['type'], id: r.repoId })) : rows,
    );
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-total-count': String(page.total),
        ...(page.next && {
          link: `<${req.publicBase.replace(/\/$/, '')}${nextUrl(req.url, page.next)}>; rel="next"`,
        }),
        'Access-Control-Expose-Headers': EXPOSED_HEADERS,
      },
      body: Buffer.from(JSON.stringify(page.items), 'utf8'),
    };
  }

  /** `full=true`: the file names at the repo's last commit seen, when its file list is known. */
  private async addSiblings(row: CatalogueRow, item: Record<string, unknown>): Promise<void> {
    if (!row.lastCommit) return;
    const manifest = await this.meta.getManifest(row.repoType as RepoRef['type'], row.repoId, row.lastCommit);
    if (manifest) item.siblings = manifest.entries.map((e) => ({ rfilename: e.path }));
  }

  /** Whether the caller may download the repo's cached content. */
  mayDownload(repo: RepoRef, authorization: string | undefined): Promise<boolean> {
    return this.mayServe(repo, authorization);
  }

  /** Which repos, commits and paths hold a file with this sha256 (LFS) or git blob id. */
  async byContent(hash: string): Promise<ContentHit[]> {
    const h = hash.toLowerCase();
    const rows = await this.ds.query<Array<Record<string, unknown>>>(
      'SELECT `repoType`, `repoId`, `commit`, `path`, `size`, `sha256`, `blobId` FROM `files` ' +
        'WHERE `sha256` = ? OR `blobId` = ? ORDER BY `repoType`, `repoId`, `commit`, `path` LIMIT 1000',
      [h, h],
    );
    return rows.map((r) => ({
      type: String(r.repoType),
      id: String(r.repoId),
      commit: String(r.commit),
      path: String(r.path),
      size: Number(r.size),
      sha256: (r.sha256 as string | null) ?? null,
      blobId: (r.blobId as string | null) ?? null,
    }));
  }
}

/** The same listing path and query at the next cursor. */
function nextUrl(url: string, cursor: string): string {
  const [path, query = ''] = url.split('?');
  const params = new URLSearchParams(query);
  params.set('cursor', cursor);
  return `${path}?${params.toString()}`;
}
