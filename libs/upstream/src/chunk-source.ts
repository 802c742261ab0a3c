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
}
