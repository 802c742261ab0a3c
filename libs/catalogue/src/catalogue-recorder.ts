import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RepoRef, repoKey } from '@dingo/hub-protocol';
import type { LocatedFile, RepoObserver } from '@dingo/mirror';
import { CatalogueRepoEntity } from './catalogue.entity';
import { factsFromInfo, formatsOf, RepoFacts } from './repo-facts';

/** Commits kept per repo (newest last). */
const MAX_REVISIONS = 50;
/** Access times from partial reads are written at most this often per repo. */
const ACCESS_WRITE_INTERVAL_MS = 10_000;

/**
 * Keeps the catalogue current from what the mirror sees: info answers (task, library, tags,
 * files) and downloads (counts, access times). Writes run one at a time off the request path;
 * a failed write is logged, never felt by the client.
 */
export class CatalogueRecorder implements RepoObserver {
  private readonly log = new Logger('Catalogue');
  private tail: Promise<void> = Promise.resolve();
  private readonly lastAccessWrite = new Map<string, number>();

  constructor(private readonly ds: DataSource) {}

  repoInfo(repo: RepoRef, info: Record<string, unknown>): void {
    this.enqueue(repo, () => this.upsert(repo, factsFromInfo(info), { download: false }));
  }

  fileServed(file: LocatedFile, start: number): void {
    const key = repoKey(file.repo);
    const now = Date.now();
    if (start > 0 && now - (this.lastAccessWrite.get(key) ?? 0) < ACCESS_WRITE_INTERVAL_MS) return;
    this.lastAccessWrite.set(key, now);
    if (this.lastAccessWrite.size > 10_000) this.lastAccessWrite.clear();
    const facts: RepoFacts = { commit: file.commit, formats: formatsOf([file.path]) };
    this.enqueue(file.repo, () => this.upsert(file.repo, facts, { download: start === 0 }));
  }

  repoRemoved(repo: RepoRef): void {
    this.enqueue(repo, async () => {
      await this.ds.getRepository(CatalogueRepoEntity).delete({ repoType: repo.type, repoId: repo.id });
    });
  }

  /** Resolves when every write queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }

  private enqueue(repo: RepoRef, write: () => Promise<void>): void {
    this.tail = this.tail
      .then(write)
      .catch((err) =>
        this.log.warn(`catalogue entry of ${repoKey(repo)} not written: ${(err as Error).message}`),
      );
  }

  private async upsert(repo: RepoRef, facts: RepoFacts, opts: { download: boolean }): Promise<void> {
    const repos = this.ds.getRepository(CatalogueRepoEntity);
    const now = Date.now();
    const row = (await repos.findOneBy({ repoType: repo.type, repoId: repo.id })) ?? newEntry(repo, now);
    if (facts.author !== undefined) row.author = facts.author;
    if (facts.pipelineTag !== undefined) row.pipelineTag = facts.pipelineTag;
    if (facts.libraryName !== undefined) row.libraryName = facts.libraryName;
    if (facts.license !== undefined) row.license = facts.license;
    if (facts.tags) row.tags = JSON.stringify(facts.tags);
    if (facts.formats) row.formats = mergedFormats(row.formats, facts.formats, facts.fileCount !== undefined);
    if (facts.gated !== undefined) row.gated = facts.gated;
    if (facts.private !== undefined) row.private = facts.private;
    if (facts.totalBytes !== undefined) row.totalBytes = facts.totalBytes;
    if (facts.fileCount !== undefined) row.fileCount = facts.fileCount;
    if (facts.parameters !== undefined) row.parameters = facts.parameters;
    if (facts.lastModified !== undefined) row.lastModified = facts.lastModified;
    if (facts.upstreamDownloads !== undefined) row.upstreamDownloads = facts.upstreamDownloads;
    if (facts.upstreamLikes !== undefined) row.upstreamLikes = facts.upstreamLikes;
    if (facts.commit) {
      // An info answer names the repo's current commit; a download only adds a commit seen.
      if (facts.fileCount !== undefined || !row.lastCommit) row.lastCommit = facts.commit;
      const revisions = JSON.parse(row.revisions) as string[];
      if (!revisions.includes(facts.commit))
        row.revisions = JSON.stringify([...revisions, facts.commit].slice(-MAX_REVISIONS));
    }
    if (opts.download) row.downloads += 1;
    row.lastAccessAt = now;
    await repos.save(row);
  }
}

function newEntry(repo: RepoRef, now: number): CatalogueRepoEntity {
  return Object.assign(new CatalogueRepoEntity(), {
    repoType: repo.type,
    repoId: repo.id,
    author: repo.id.includes('/') ? repo.id.split('/')[0] : null,
    pipelineTag: null,
    libraryName: null,
    license: null,
    tags: '[]',
    formats: ',',
    gated: 'false',
    private: false,
    totalBytes: null,
    fileCount: null,
    parameters: null,
    lastCommit: null,
    lastModified: null,
    revisions: '[]',
    upstreamDownloads: null,
    upstreamLikes: null,
    downloads: 0,
    firstAccessAt: now,
    lastAccessAt: now,
  });
}

/** A full file list replaces the formats; a single file only adds its own. Stored `,a,b,`. */
function mergedFormats(stored: string, found: string[], complete: boolean): string {
  const formats = new Set(complete ? found : [...stored.split(',').filter(Boolean), ...found]);
  const list = [...formats].sort();
  while (list.join(',').length > 196) list.pop();
  return list.length ? `,${list.join(',')},` : ',';
}
