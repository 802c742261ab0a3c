import { Column, Entity, Index, PrimaryColumn, ValueTransformer } from 'typeorm';

const bigintAsNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};
const intAsBoolean: ValueTransformer = {
  to: (v: boolean | undefined) => v,
  from: (v: number | boolean | null) => Boolean(v),
};

/** A repo hosted on the mirror (in a local namespace). */
@Entity('hosted_repos')
export class HostedRepoEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) repoType!: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) repoId!: string;
  @Column({ type: 'boolean', transformer: intAsBoolean }) private!: boolean;
  @Column({ type: 'varchar', length: 64, nullable: true }) createdBy!: string | null;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
}

/** A branch (`refs/heads/…`) or tag (`refs/tags/…`) of a hosted repo. */
@Entity('hosted_refs')
export class HostedRefEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) repoType!: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) repoId!: string;
  @PrimaryColumn({ type: 'varchar', length: 255 }) ref!: string;
  @Column({ type: 'varchar', length: 40 }) commit!: string;
}

/** A commit of a hosted repo; its file list is the commit manifest in the metadata store. */
@Entity('hosted_commits')
@Index('idx_hosted_commits_repo', ['repoType', 'repoId'])
export class HostedCommitEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) repoType!: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) repoId!: string;
  @PrimaryColumn({ type: 'varchar', length: 40 }) commit!: string;
  /** Parent commit ids, comma-separated. */
  @Column({ type: 'varchar', length: 400 }) parents!: string;
  @Column({ type: 'varchar', length: 40 }) tree!: string;
  @Column({ type: 'varchar', length: 64 }) author!: string;
  @Column({ type: 'text' }) message!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
}

export const HOSTED_ENTITIES = [HostedRepoEntity, HostedRefEntity, HostedCommitEntity];
