import { BlobKey, blobKeyFor } from '@dingo/chunk-store';
import { RepoRef } from '@dingo/hub-protocol';
import { FileRecord, ManifestEntry } from '@dingo/metadata-store';

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
  /** How it was located: upstream answered just now, the mirror knew it, or upstream was unreachable. */
  via: 'upstream' | 'known' | 'offline';
  /** A hosted repo's file: its bytes exist only on the mirror, never to be asked of upstream. */
  hosted?: boolean;
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

export function locatedFile(file: FileRecord, via: LocatedFile['via']): LocatedFile {
  return {
    repo: { type: file.repoType, id: file.repoId },
    commit: file.commit,
    path: file.path,
    size: file.size,
    lfs: file.lfs,
    blobId: file.blobId,
    sha256: file.sha256,
    blobKey: blobKeyFor({ sha256: file.sha256, gitBlobId: file.blobId }),
    via,
  };
}

/** The record a HEAD on the file would have produced, from the commit's file list. */
export function fileFromManifest(repo: RepoRef, commit: string, entry: ManifestEntry): FileRecord {
  return {
    repoType: repo.type,
    repoId: repo.id,
    commit,
    path: entry.path,
    size: entry.size,
    blobId: entry.lfs ? null : entry.blobId,
    sha256: entry.lfs ? entry.lfs.sha256 : null,
    lfs: Boolean(entry.lfs),
    fetchedAt: Date.now(),
  };
}
