import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, ValueTransformer } from 'typeorm';

/** MySQL returns BIGINT as a string; epoch milliseconds and byte counts fit in a double. */
const bigintAsNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/** SQLite and MySQL both hand booleans back as 0/1. */
const intAsBoolean: ValueTransformer = {
  to: (v: boolean | undefined) => v,
  from: (v: number | boolean | null) => Boolean(v),
};

@Entity('auth_users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index('idx_auth_users_username', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  username!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) displayName!: string | null;
  /** `scrypt$N$r$p$salt$hash`; null for users who only use tokens. */
  @Column({ type: 'varchar', length: 255, nullable: true }) passwordHash!: string | null;
  @Column({ type: 'boolean', transformer: intAsBoolean }) disabled!: boolean;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) updatedAt!: number;
}

@Entity('auth_teams')
export class TeamEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index('idx_auth_teams_name', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  name!: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) description!: string | null;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
}

@Entity('auth_team_members')
@Index('idx_auth_team_members_user', ['userId'])
export class TeamMemberEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) teamId!: string;
  @PrimaryColumn({ type: 'varchar', length: 36 }) userId!: string;
  @Column({ type: 'boolean', transformer: intAsBoolean }) teamAdmin!: boolean;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
}

/** Custom roles only; the built-in ones live in code (access-model.ts). */
@Entity('auth_roles')
export class RoleEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) name!: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) description!: string | null;
  /** Comma-separated repo actions. */
  @Column({ type: 'varchar', length: 200 }) actions!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
}

@Entity('auth_grants')
@Index('idx_auth_grants_subject', ['subjectType', 'subjectId'])
export class GrantEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  /** `team` or `user`. */
  @Column({ type: 'varchar', length: 8 }) subjectType!: string;
  @Column({ type: 'varchar', length: 36 }) subjectId!: string;
  @Column({ type: 'varchar', length: 64 }) role!: string;
  /** `model`, `dataset`, `space` or `*`. */
  @Column({ type: 'varchar', length: 8 }) repoType!: string;
  @Column({ type: 'varchar', length: 200 }) pattern!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
  @Column({ type: 'varchar', length: 36, nullable: true }) createdBy!: string | null;
}

@Entity('auth_tokens')
@Index('idx_auth_tokens_user', ['userId'])
export class AccessTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) userId!: string;
  @Column({ type: 'varchar', length: 100 }) name!: string;
  /** sha256 (hex) of the whole token; the token itself is never stored. */
  @Index('idx_auth_tokens_hash', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;
  /** The first characters, so people can tell their tokens apart. */
  @Column({ type: 'varchar', length: 16 }) displayPrefix!: string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
  @Column({ type: 'bigint', transformer: bigintAsNumber, nullable: true }) expiresAt!: number | null;
  @Column({ type: 'bigint', transformer: bigintAsNumber, nullable: true }) revokedAt!: number | null;
  @Column({ type: 'bigint', transformer: bigintAsNumber, nullable: true }) lastUsedAt!: number | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) createdBy!: string | null;
}

@Entity('auth_repo_policies')
export class RepoPolicyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  /** `allow` or `deny`. */
  @Column({ type: 'varchar', length: 8 }) effect!: string;
  @Column({ type: 'varchar', length: 8 }) repoType!: string;
  @Column({ type: 'varchar', length: 200 }) pattern!: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) createdAt!: number;
  @Column({ type: 'varchar', length: 36, nullable: true }) createdBy!: string | null;
}

@Entity('audit_events')
@Index('idx_audit_events_at', ['at'])
@Index('idx_audit_events_user_at', ['userId', 'at'])
@Index('idx_audit_events_repo_at', ['repoId', 'at'])
@Index('idx_audit_events_action_at', ['action', 'at'])
export class AuditEventEntity {
  /** MySQL may hand a BIGINT back as a string: read it through Number(). */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: number | string;
  @Column({ type: 'bigint', transformer: bigintAsNumber }) at!: number;
  /** download, upload, delete, manage, login, denied. */
  @Column({ type: 'varchar', length: 16 }) action!: string;
  @Column({ type: 'int' }) status!: number;
  @Column({ type: 'varchar', length: 36, nullable: true }) userId!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) tokenId!: string | null;
  @Column({ type: 'varchar', length: 8, nullable: true }) repoType!: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) repoId!: string | null;
  @Column({ type: 'varchar', length: 256, nullable: true }) revision!: string | null;
  @Column({ type: 'text', nullable: true }) path!: string | null;
  @Column({ type: 'bigint', transformer: bigintAsNumber, nullable: true }) bytes!: number | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) clientIp!: string | null;
  /** JSON: method, route, sanitized request summary, denial reason. */
  @Column({ type: 'text', nullable: true }) detail!: string | null;
}

export const AUTH_ENTITIES = [
  UserEntity,
  TeamEntity,
  TeamMemberEntity,
  RoleEntity,
  GrantEntity,
  AccessTokenEntity,
  RepoPolicyEntity,
  AuditEventEntity,
];
