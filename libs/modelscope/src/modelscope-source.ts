import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { growingLru } from '@dingo/concurrency';
import { RepoRef } from '@dingo/hub-protocol';
import { ChunkSource, DescribedFile, SourceFile, UpstreamSender } from '@dingo/upstream';
import { ModelScopeClient, ModelScopeError, ModelScopeFile } from './modelscope-client';
import { ModelScopeIdMap } from './id-map';

export interface ModelScopeSourceOptions {
  /** Revision listed first (ModelScope's default branch is `master`). */
  revision: string;
  /** How many more branches/tags (newest tags first) to list when the first revision lacks the file. */
  maxRevisions: number;
  /** How long a listing (and where a file was found) is trusted. */
  listingTtlMs: number;
  /** Which repos the Hub never answered for `describe` serves (see DINGO_MODELSCOPE_UNSEEN_REPOS); default `mapped`. */
  unseenRepos?: 'none' | 'mapped' | 'all';
}

/** Where on ModelScope a Hub file was found: its id there and a revision that lists it with the same content. */
export interface ModelScopeLocation {
  modelId: string;
  revision: string;
  entry: ModelScopeFile;
}

/**
 * ModelScope as a ChunkSource. A Hub file is covered when the mapped ModelScope model lists the
 * same path with the same size and, for LFS files, the same sha256 (ModelScope's `Sha256`); its
 * Hub commit plays no part (the two sites have unrelated histories), so revisions are searched
 * by content: the configured one first (`master`), then the model's branches and newest tags. A
 * regular (non-LFS) Hub file carries only a git blob id, which ModelScope does not list: it is
 * covered on path and size, and the mirror's verifier (git blob id over the bytes) decides.
 * Only models: ModelScope's dataset file API needs a numeric dataset id and pages; not spoken yet.
 */
export class ModelScopeSource implements ChunkSource {
  readonly id = 'modelscope';
  private readonly listings: LRUCache<string, Promise<ModelScopeFile[]>>;
  private readonly found: LRUCache<string, ModelScopeLocation | false>;

  constructor(
    private readonly client: ModelScopeClient,
    private readonly ids: ModelScopeIdMap,
    private readonly options: ModelScopeSourceOptions,
  ) {
    const ttl = Math.max(1, options.listingTtlMs);
    this.listings = new LRUCache({ max: 512, ttl });
    this.found = growingLru(16_384, { ttl });
  }

  async covers(file: SourceFile, signal?: AbortSignal): Promise<boolean> {
    return !!(await this.locate(file, signal));
  }

  async openRange(file: SourceFile, start: number, end: number, signal?: AbortSignal): Promise<Readable> {
    if (start < 0 || end > file.size || start >= end)
      throw new ModelScopeError(`bad range [${start}, ${end}) of a ${file.size}-byte file`, false);
    const at = await this.locate(file, signal);
    if (!at)
      throw new ModelScopeError(
        `ModelScope has no copy of ${file.repo.id}/${file.path} with its content`,
        false,
      );
    return this.client.openRange(at.modelId, at.revision, file.path, start, end - 1, file.size, signal);
  }

  /**
   * The file as ModelScope lists it at the configured revision, for a repo the Hub was never
   * reached for: ModelScope's commit of the file (its `Revision`, 40 hex), size and sha256.
   */
  async describe(repo: RepoRef, path: string, signal?: AbortSignal): Promise<DescribedFile | undefined> {
    const unseen = this.options.unseenRepos ?? 'mapped';
    if (unseen === 'none' || (unseen === 'mapped' && !this.ids.isMapped(repo))) return undefined;
    const modelId = repo.type === 'model' ? this.ids.toModelScope(repo) : undefined;
    if (!modelId) return undefined;
    let files: ModelScopeFile[];
    try {
      files = await this.listing(modelId, this.options.revision, signal);
    } catch (err) {
      if (err instanceof ModelScopeError && !err.retryable) return undefined;
      throw err;
    }
    const entry = files.find((f) => f.Path === path);
    const sha256 = entry?.Sha256?.toLowerCase();
    const commit = entry?.Revision?.toLowerCase();
    if (!entry || !sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !commit || !/^[0-9a-f]{40}$/.test(commit))
      return undefined;
    return { commit, size: entry.Size, sha256 };
  }

  /** Where the file's content is on ModelScope, or false; failures to ask are not remembered. */
  async locate(file: SourceFile, signal?: AbortSignal): Promise<ModelScopeLocation | false> {
    const key = `${file.repo.type}:${file.repo.id}:${file.path}:${file.sha256 ?? file.blobId}:${file.size}`;
    const known = this.found.get(key);
    if (known !== undefined) return known;
    const modelId = file.repo.type === 'model' ? this.ids.toModelScope(file.repo) : undefined;
    let at: ModelScopeLocation | false = false;
    if (modelId) {
      at = await this.search(modelId, this.options.revision, file, signal);
      if (!at && this.options.maxRevisions > 0) {
        const { branches, tags } = await this.client.listRevisions(modelId, signal).catch((err: unknown) => {
          // No such model (or no revisions): an answer, remembered like one; an outage is thrown.
          if (err instanceof ModelScopeError && !err.retryable) return { branches: [], tags: [] };
          throw err;
        });
        const others = [...branches, ...tags]
          .map((r) => r.Revision)
          .filter((r) => r !== this.options.revision)
          .slice(0, this.options.maxRevisions);
        for (const revision of others) if ((at = await this.search(modelId, revision, file, signal))) break;
      }
    }
    this.found.set(key, at);
    return at;
  }

  private async search(
    modelId: string,
    revision: string,
    file: SourceFile,
    signal?: AbortSignal,
  ): Promise<ModelScopeLocation | false> {
    let files: ModelScopeFile[];
    try {
      files = await this.listing(modelId, revision, signal);
    } catch (err) {
      // A revision or model ModelScope does not have is an answer; an outage is not.
      if (err instanceof ModelScopeError && !err.retryable) return false;
      throw err;
    }
    const entry = files.find((f) => f.Path === file.path);
    if (!entry || entry.Size !== file.size) return false;
    if (file.sha256 && entry.Sha256?.toLowerCase() !== file.sha256.toLowerCase()) return false;
    return { modelId, revision, entry };
  }

  private listing(modelId: string, revision: string, signal?: AbortSignal): Promise<ModelScopeFile[]> {
    const key = `${modelId}@${revision}`;
    let running = this.listings.get(key);
    if (!running) {
      // Shared by concurrent callers: one caller's abort must not fail the others' listing.
      running = this.client.listFiles(modelId, revision);
      this.listings.set(key, running);
      running.catch(() => this.listings.delete(key));
    }
    return signal ? abortable(running, signal) : running;
  }
}

/** Waits for a shared promise, giving up (for this caller only) when its signal aborts. */
function abortable<T>(shared: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The ModelScope source as configured (DINGO_MODELSCOPE_*). `http` is the mirror's upstream
 * client, whose address policy must trust the configured endpoint (as it trusts a configured hub).
 */
export function modelScopeSource(
  ms: {
    url?: string;
    idMap: Record<string, string>;
    revision: string;
    maxRevisions: number;
    listingTtlSeconds: number;
    unseenRepos?: 'none' | 'mapped' | 'all';
  },
  http: UpstreamSender,
): ModelScopeSource {
  if (!ms.url) throw new Error('ModelScope source needs modelscope.url (DINGO_MODELSCOPE_URL)');
  return new ModelScopeSource(new ModelScopeClient(http, ms.url), new ModelScopeIdMap(ms.idMap), {
    revision: ms.revision,
    maxRevisions: ms.maxRevisions,
    listingTtlMs: ms.listingTtlSeconds * 1000,
    unseenRepos: ms.unseenRepos,
  });
}
