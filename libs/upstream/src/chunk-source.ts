import { Readable } from 'node:stream';
import { RepoRef } from '@dingo/hub-protocol';

/** A file as the Hub named it: what another source must prove it holds before it is asked for bytes. */
export interface SourceFile {
  repo: RepoRef;
  /** The Hub commit the file was located at (other sources have their own revisions). */
  commit: string;
  path: string;
  size: number;
  /** Content sha256 (LFS files; the Hub's name for the bytes). */
  sha256: string | null;
  /** Git blob id (regular files). */
  blobId: string | null;
}

/**
 * A source of a file's bytes besides the Hub origins (ModelScope, a peer mirror, …). The mirror
 * still verifies every blob against the Hub's name (BlobVerifier), so a source is only trusted to
 * be worth asking, never for the bytes' identity.
 */
export interface ChunkSource {
  /** Stable name, for logs and metrics (e.g. `modelscope`). */
  readonly id: string;
  /** Whether this source holds exactly `file` (same sha256 for LFS files); false on any doubt. */
  covers(file: SourceFile, signal?: AbortSignal): Promise<boolean>;
  /** Bytes [start, end) of the file: exactly those bytes, or a thrown error. */
  openRange(file: SourceFile, start: number, end: number, signal?: AbortSignal): Promise<Readable>;
  /**
   * What this source says a file of a repo's default branch is, for when the Hub was never
   * reached for the repo: its own commit id (40 hex), size and sha256; undefined when it does not
   * hold the file. Optional: a source that only serves files the Hub named need not offer it.
   */
  describe?(repo: RepoRef, path: string, signal?: AbortSignal): Promise<DescribedFile | undefined>;
}

/** A file as another source names it (ModelScope's listing): never the Hub's word. */
export interface DescribedFile {
  /** The source's commit of the file (40 hex), given to clients as X-Repo-Commit. */
  commit: string;
  size: number;
  sha256: string;
}
