import { DataSource, Repository } from 'typeorm';
import { HubError } from '@dingo/hub-protocol';
import { AccessTokenEntity, GrantEntity, TeamEntity, TeamMemberEntity, UserEntity } from './entities';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids arrive from URLs and bodies: anything but a UUID is a 400 before it reaches a query. */
export function assertUuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw HubError.badRequest(`${field}: must be a UUID`);
  return value;
}

/** The attributes ability conditions look at, for each admin resource. */
export class SubjectLoader {
  private readonly users: Repository<UserEntity>;
  private readonly teams: Repository<TeamEntity>;
  private readonly members: Repository<TeamMemberEntity>;
  private readonly tokens: Repository<AccessTokenEntity>;
  private readonly grants: Repository<GrantEntity>;

  constructor(ds: DataSource) {
    this.users = ds.getRepository(UserEntity);
    this.teams = ds.getRepository(TeamEntity);
    this.members = ds.getRepository(TeamMemberEntity);
    this.tokens = ds.getRepository(AccessTokenEntity);
    this.grants = ds.getRepository(GrantEntity);
  }

  async teamIdsOf(userId: string): Promise<string[]> {
    return (await this.members.findBy({ userId })).map((m) => m.teamId);
  }

  async user(id: unknown, field = 'id'): Promise<Record<string, unknown> | null> {
    const userId = assertUuid(id, field);
    if (!(await this.users.existsBy({ id: userId }))) return null;
    return { id: userId, teamIds: await this.teamIdsOf(userId) };
  }

  async team(id: unknown, field = 'id'): Promise<Record<string, unknown> | null> {
    const teamId = assertUuid(id, field);
    return (await this.teams.existsBy({ id: teamId })) ? { id: teamId } : null;
  }

  /** A membership (existing or about to be created) is judged by its team. */
  async membership(teamId: unknown, field = 'teamId'): Promise<Record<string, unknown> | null> {
    const team = await this.team(teamId, field);
    return team ? { teamId: team.id } : null;
  }

  async token(id: unknown, field = 'id'): Promise<Record<string, unknown> | null> {
    const row = await this.tokens.findOneBy({ id: assertUuid(id, field) });
    return row ? this.tokenOwnedBy(row.userId) : null;
  }

  /** A token owned by `userId` (for creating one, or listing someone's). */
  async tokenOwnedBy(userId: string): Promise<Record<string, unknown>> {
    return { userId, ownerTeamIds: await this.teamIdsOf(userId) };
  }

  async grant(id: unknown, field = 'id'): Promise<Record<string, unknown> | null> {
    const row = await this.grants.findOneBy({ id: assertUuid(id, field) });
    return row ? { subjectType: row.subjectType, subjectId: row.subjectId } : null;
  }
}
