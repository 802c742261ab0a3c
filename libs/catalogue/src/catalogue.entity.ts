import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

/** MySQL returns BIGINT as a string; sizes, counts and timestamps fit in a double. */
const bigintAsNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/**
 * One repo the mirror knows: what its info answers said (task, library, tags, license, files),
 * and how it was used through the mirror. Bytes actually cached are not stored here: they are
 * read from the `files` and `blobs` tables at query time, so eviction is reflected at once.
 */
@Entity('catalogue_repos')
export class CatalogueRepoEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) repoType!: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) repoId!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) author!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) pipelineTag!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) libraryName!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) license!: string | null;
  /** JSON array of the repo's tags. */
  @Column({ type: 'text' }) tags!: string;
  /** File formats the repo holds, `,safetensors,gguf,` (delimited so LIKE finds whole names). */
  @Column({ type: 'varchar', length: 200 }) formats!: string;
  /** `false`, `auto` or `manual`, as the Hub says. */
  @Column({ type: 'varchar', length: 8 }) gated!: string;
  @Column({ type: 'boolean' }) private!: boolean;
  /** Sum of the file sizes at the last commit seen (null: no info answer with sizes yet). */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber }) totalBytes!: number | null;
  @Column({ type: 'int', nullable: true }) fileCount!: number | null;
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber }) parameters!: number | null;
  @Column({ type: 'varchar', length: 40, nullable: true }) lastCommit!: string | null;
  @Column({ type: 'varchar', length: 40, nullable: true }) lastModified!: string | null;
  /** JSON array of the commits the mirror has seen (newest last, bounded). */
  @Column({ type: 'text' }) revisions!: string;
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber }) upstreamDownloads!: number | null;
  @Column({ type: 'int', nullable: true }) upstreamLikes!: number | null;
  /** Whole-file downloads through this mirror (GETs from the first byte). */
  @Column({ type: 'bigint', transformer: bigintAsNumber }) downloads!: number;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) firstAccessAt!: number;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) lastAccessAt!: number;
}

export const CATALOGUE_ENTITIES = [CatalogueRepoEntity];
