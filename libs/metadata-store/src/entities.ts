import { Column, Entity, Index, PrimaryColumn, ValueTransformer } from 'typeorm';

/** MySQL returns BIGINT as a string; our sizes and timestamps fit in a double. */
const bigintAsNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

@Entity('revisions')
export class RevisionEntity {
  /** sha1 of `type/id@revision`: fixed width keeps MySQL's index limits happy. */
  @PrimaryColumn({ type: 'varchar', length: 40 }) key!: string;
  @Column({ type: 'varchar', length: 16 }) repoType!: string;
  @Column({ type: 'varchar', length: 200 }) repoId!: string;
  @Column({ type: 'varchar', length: 256 }) revision!: string;
  @Column({ type: 'varchar', length: 40 }) commit!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) fetchedAt!: number;
}

@Entity('files')
@Index('idx_files_repo_commit', ['repoType', 'repoId', 'commit'])
export class FileEntity {
  /** sha1 of `type/id@commit:path`. */
  @PrimaryColumn({ type: 'varchar', length: 40 }) key!: string;
  @Column({ type: 'varchar', length: 16 }) repoType!: string;
  @Column({ type: 'varchar', length: 200 }) repoId!: string;
  @Column({ type: 'varchar', length: 40 }) commit!: string;
  @Column({ type: 'text' }) path!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) size!: number;
  @Column({ type: 'varchar', length: 40, nullable: true }) blobId!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) sha256!: string | null;
  @Column({ type: 'boolean' }) lfs!: boolean;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) fetchedAt!: number;
}

@Entity('blobs')
export class BlobEntity {
  @PrimaryColumn({ type: 'varchar', length: 80 }) key!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) size!: number;
  @Column({ type: 'int' }) chunkSize!: number;
  @Column({ type: 'varchar', length: 16 }) state!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) lastAccessAt!: number;
}

@Entity('chunks')
export class ChunkEntity {
  @PrimaryColumn({ type: 'varchar', length: 80 }) blobKey!: string;
  @PrimaryColumn({ type: 'int' }) index!: number;
  @Column({ type: 'int' }) size!: number;
  @Column({ type: 'int' }) blockSize!: number;
  @Column({ type: 'text', nullable: true }) blockDigests!: string | null;
  @Column({ type: 'varchar', length: 8, default: 'hot' }) tier!: string;
  /** Null: the chunk's size (stored uncompressed). */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber }) storedSize!: number | null;
}

@Entity('pins')
export class PinEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) repoType!: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) repoId!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) pinnedAt!: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) pinnedBy!: string | null;
}

@Entity('manifests')
export class ManifestEntity {
  /** sha1 of `type/id@commit`. */
  @PrimaryColumn({ type: 'varchar', length: 40 }) key!: string;
  @Column({ type: 'varchar', length: 16 }) repoType!: string;
  @Column({ type: 'varchar', length: 200 }) repoId!: string;
  @Column({ type: 'varchar', length: 40 }) commit!: string;
  /** JSON of the entries. */
  @Column({ type: 'blob' }) entries!: Buffer;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) fetchedAt!: number;
}

@Entity('repos')
export class RepoEntity {
  @PrimaryColumn({ type: 'varchar', length: 220 }) key!: string;
  @Column({ type: 'varchar', length: 16 }) visibility!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) checkedAt!: number;
}

@Entity('api_cache')
@Index('idx_api_cache_repo', ['repoKey'])
export class ApiCacheEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) key!: string;
  @Column({ type: 'varchar', length: 220 }) repoKey!: string;
  @Column({ type: 'text' }) url!: string;
  @Column({ type: 'int' }) status!: number;
  @Column({ type: 'text' }) headers!: string;
  @Column({ type: 'blob' }) body!: Buffer;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) fetchedAt!: number;
  @Column({ type: 'boolean' }) immutable!: boolean;
}

export const METADATA_ENTITIES = [
  RevisionEntity,
  FileEntity,
  BlobEntity,
  ChunkEntity,
  RepoEntity,
  ApiCacheEntity,
  ManifestEntity,
  PinEntity,
];
