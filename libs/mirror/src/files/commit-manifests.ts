import { Logger } from '@nestjs/common';
import { SingleFlight, growingLru } from '@dingo/concurrency';
import { encodeRevision, RepoRef, repoKey } from '@dingo/hub-protocol';
import { CommitManifestRecord, ManifestEntry, MetadataPort } from '@dingo/metadata-store';
import { drain, readSmallBody, UpstreamRouter } from '@dingo/upstream';

/** A commit's files by path. */
export type Manifest = ReadonlyMap<string, ManifestEntry>;

interface Sibling {
  rfilename?: unknown;
  blobId?: unknown;
  size?: unknown;
  lfs?: { sha256?: unknown; size?: unknown; pointerSize?: unknown } | null;
}

/**
 * The complete file list of each commit the mirror has served from. Commits never change, so once
 * known it answers "no such file" (404 with the commit, which clients cache) and paths-info
 * without upstream, online or offline: probes for optional files (`tokenizer.model`,
 * `chat_template.jinja`, …) cost nothing and never wait on an unreachable upstream.
 */
export class CommitManifests {
  private readonly log = new Logger(CommitManifests.name);
  private readonly known = growingLru<string, Manifest>(2_000);
  private readonly learning = new SingleFlight<void>();

  constructor(
    private readonly meta: MetadataPort,
    private readonly router: UpstreamRouter,
  ) {}

  async get(repo: RepoRef, commit: string): Promise<Manifest | undefined> {
    const k = keyOf(repo, commit);
    const cached = this.known.get(k);
    if (cached) return cached;
    const record = await this.meta.getManifest(repo.type, repo.id, commit);
    if (!record) return undefined;
    return this.remember(record);
  }

  /**
   * Fetches the commit's file list in the background (once per commit, ever): the info answer at
   * the commit with `blobs=true` has every path with its size, blob id and LFS pointer.
   */
  learn(repo: RepoRef, commit: string, authorization: string | undefined): void {
    const k = keyOf(repo, commit);
    if (this.known.has(k) || this.learning.has(k)) return;
    void this.learning
      .run(k, async () => {
        if (await this.get(repo, commit)) return;
        const res = await this.router.send({
          url: `/api/${repo.type}s/${repo.id}/revision/${encodeRevision(commit)}?blobs=true`,
          headers: { authorization, accept: 'application/json', 'accept-encoding': 'identity' },
        });
        if (res.status !== 200) {
          drain(res.body);
          return;
        }
        const info = JSON.parse(
          (await readSmallBody(res.body, 256 * 1024 * 1024, res.headers['content-encoding'])).toString(
            'utf8',
          ),
        );
        await this.fromInfo(repo, commit, info);
      })
      .catch((err) =>
        this.log.warn(`file list of ${repoKey(repo)}@${commit} not learned: ${(err as Error).message}`),
      );
  }

  /** Keeps the list from an info answer, when it is complete (`sha` matches, `siblings` with blobs). */
  async fromInfo(repo: RepoRef, commit: string, info: { sha?: unknown; siblings?: unknown }): Promise<void> {
    if (info.sha !== commit || !Array.isArray(info.siblings)) return;
    const entries: ManifestEntry[] = [];
    for (const s of info.siblings as Sibling[]) {
      const entry = toEntry(s);
      if (!entry) return; // names only (no `blobs=true`): not enough to answer paths-info
      entries.push(entry);
    }
    const record: CommitManifestRecord = {
      repoType: repo.type,
      repoId: repo.id,
      commit,
      entries,
      fetchedAt: Date.now(),
    };
    await this.meta.putManifest(record);
    this.remember(record);
  }

  private remember(record: CommitManifestRecord): Manifest {
    const manifest = new Map(record.entries.map((e) => [e.path, e]));
    this.known.set(keyOf({ type: record.repoType, id: record.repoId }, record.commit), manifest);
    return manifest;
  }
}

function keyOf(repo: RepoRef, commit: string): string {
  return `${repoKey(repo)}@${commit}`;
}

function toEntry(s: Sibling): ManifestEntry | undefined {
  if (typeof s.rfilename !== 'string' || typeof s.blobId !== 'string' || typeof s.size !== 'number')
    return undefined;
  const entry: ManifestEntry = { path: s.rfilename, size: s.size, blobId: s.blobId };
  const lfs = s.lfs;
  if (
    lfs &&
    typeof lfs.sha256 === 'string' &&
    typeof lfs.size === 'number' &&
    typeof lfs.pointerSize === 'number'
  )
    entry.lfs = { sha256: lfs.sha256, size: lfs.size, pointerSize: lfs.pointerSize };
  return entry;
}
