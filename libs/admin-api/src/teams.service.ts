import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, Repository } from 'typeorm';
import { z } from 'zod';
import {
  ACCESS_DATA_SOURCE,
  AppAbility,
  GrantEntity,
  permittedRows,
  TeamEntity,
  TeamMemberEntity,
  UserEntity,
} from '@dingo/auth';
import { conflict, notFound } from './errors';
import { CreateTeamBody, PutMemberBody, UpdateTeamBody } from './schemas';
import { iso, teamView } from './views';

/** Teams and their memberships (team admins manage their own team's members). */
@Injectable()
export class TeamsService {
  private readonly teams: Repository<TeamEntity>;
  private readonly members: Repository<TeamMemberEntity>;
  private readonly users: Repository<UserEntity>;

  constructor(@Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource) {
    this.teams = ds.getRepository(TeamEntity);
    this.members = ds.getRepository(TeamMemberEntity);
    this.users = ds.getRepository(UserEntity);
  }

  async list(ability: AppAbility) {
    const teams = await this.teams.find({ order: { name: 'ASC' } });
    return permittedRows(ability, 'read', 'Team', teams, (t) => ({ id: t.id })).map(teamView);
  }

  async get(id: string) {
    const team = await this.teams.findOneBy({ id });
    if (!team) throw notFound('Team');
    return { ...teamView(team), memberCount: await this.members.countBy({ teamId: id }) };
  }

  async create(body: z.infer<typeof CreateTeamBody>) {
    if (await this.teams.existsBy({ name: body.name })) throw conflict(`team "${body.name}" exists`);
    const team = this.teams.create({
      id: randomUUID(),
      name: body.name,
      description: body.description ?? null,
      createdAt: Date.now(),
    });
    await this.teams.insert(team);
    return teamView(team);
  }

  async update(id: string, body: z.infer<typeof UpdateTeamBody>) {
    const team = await this.teams.findOneBy({ id });
    if (!team) throw notFound('Team');
    if (body.description !== undefined) team.description = body.description;
    await this.teams.save(team);
    return teamView(team);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.teams.existsBy({ id }))) throw notFound('Team');
    await this.ds.transaction(async (tx) => {
      await tx.getRepository(TeamMemberEntity).delete({ teamId: id });
      await tx.getRepository(GrantEntity).delete({ subjectType: 'team', subjectId: id });
      await tx.getRepository(TeamEntity).delete({ id });
    });
  }

  async listMembers(teamId: string) {
    const members = await this.members.find({ where: { teamId }, order: { createdAt: 'ASC' } });
    const users = members.length ? await this.users.findBy({ id: In(members.map((m) => m.userId)) }) : [];
    const names = new Map(users.map((u) => [u.id, u.username]));
    return members.map((m) => ({
      userId: m.userId,
      username: names.get(m.userId) ?? null,
      teamAdmin: m.teamAdmin,
      since: iso(m.createdAt),
    }));
  }

  async putMember(teamId: string, userId: string, body: z.infer<typeof PutMemberBody>) {
    if (!(await this.users.existsBy({ id: userId }))) throw notFound('User');
    const existing = await this.members.findOneBy({ teamId, userId });
    const member =
      existing ?? this.members.create({ teamId, userId, teamAdmin: false, createdAt: Date.now() });
    if (body.teamAdmin !== undefined) member.teamAdmin = body.teamAdmin;
    await this.members.save(member);
    return { teamId, userId, teamAdmin: member.teamAdmin, since: iso(member.createdAt) };
  }

  async removeMember(teamId: string, userId: string): Promise<void> {
    const result = await this.members.delete({ teamId, userId });
    if (!result.affected) throw notFound('Membership');
  }
}
