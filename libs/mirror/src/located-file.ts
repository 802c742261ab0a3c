import { BlobKey } from '@dingo/chunk-store';
import { RepoRef } from '@dingo/hub-protocol';

/** A file at a commit, as far as the mirror needs to know it to serve bytes. */
export interface LocatedFile {
  repo: RepoRef;
  commit: string;
  path: string;
  size: number;
  lfs: boolean;
  /** Git blob id (regular files). */
  blobId: string | null;
  /** Content sha256 (LFS files). */
  sha256: string | null;
  blobKey: BlobKey;
}

/** How to fetch a file's bytes from upstream; carries the caller's credentials for gated repos. */
export interface FileSource {
  file: LocatedFile;
  authorization?: string;
}

/** The etag a Hub client caches the file under: sha256 for LFS, git blob id otherwise. */
export function etagOf(file: LocatedFile): string {
  return (file.lfs ? file.sha256 : file.blobId) ?? '';
}
