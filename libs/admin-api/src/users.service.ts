import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, Repository } from 'typeorm';
import { z } from 'zod';
import {
  ACCESS_DATA_SOURCE,
  AccessTokenEntity,
  AppAbility,
  GrantEntity,
  hashPassword,
  permittedRows,
  TeamEntity,
  TeamMemberEntity,
  UserEntity,
  verifyPassword,
} from '@dingo/auth';
import { HubError } from '@dingo/hub-protocol';
import { conflict, notFound } from './errors';
import { ChangePasswordBody, CreateUserBody, UpdateUserBody } from './schemas';
import { userView } from './views';

/** Users: create, change, disable, delete (with their memberships, direct grants and tokens). */
@Injectable()
export class UsersService {
  private readonly users: Repository<UserEntity>;
  private readonly members: Repository<TeamMemberEntity>;
  private readonly teams: Repository<TeamEntity>;

  constructor(@Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource) {
    this.users = ds.getRepository(UserEntity);
    this.members = ds.getRepository(TeamMemberEntity);
    this.teams = ds.getRepository(TeamEntity);
  }

  async list(ability: AppAbility) {
    const [users, memberships] = await Promise.all([
      this.users.find({ order: { username: 'ASC' } }),
      this.members.find(),
    ]);
    const teamIds = new Map<string, string[]>();
    for (const m of memberships) teamIds.set(m.userId, [...(teamIds.get(m.userId) ?? []), m.teamId]);
    return permittedRows(ability, 'read', 'User', users, (u) => ({
      id: u.id,
      teamIds: teamIds.get(u.id) ?? [],
    })).map((u) => userView(u));
  }

  async get(id: string) {
    const user = await this.users.findOneBy({ id });
    if (!user) throw notFound('User');
    const memberships = await this.members.findBy({ userId: id });
    const teams = memberships.length
      ? await this.teams.findBy({ id: In(memberships.map((m) => m.teamId)) })
      : [];
    const names = new Map(teams.map((t) => [t.id, t.name]));
    return userView(
      user,
      memberships.map((m) => ({ id: m.teamId, name: names.get(m.teamId) ?? '', teamAdmin: m.teamAdmin })),
    );
  }

  async create(body: z.infer<typeof CreateUserBody>) {
    if (await this.users.existsBy({ username: body.username }))
      throw conflict(`username "${body.username}" is taken`);
    const now = Date.now();
    const user = this.users.create({
      id: randomUUID(),
      username: body.username,
      displayName: body.displayName ?? null,
      passwordHash: body.password ? await hashPassword(body.password) : null,
      disabled: body.disabled ?? false,
      createdAt: now,
      updatedAt: now,
    });
    await this.users.insert(user);
    return userView(user, []);
  }

  async update(id: string, body: z.infer<typeof UpdateUserBody>, actorId: string | undefined) {
    const user = await this.users.findOneBy({ id });
    if (!user) throw notFound('User');
    if (body.disabled && id === actorId) throw conflict('You cannot disable yourself');
    if (body.password !== undefined) user.passwordHash = await hashPassword(body.password);
    if (body.displayName !== undefined) user.displayName = body.displayName;
    if (body.disabled !== undefined) user.disabled = body.disabled;
    user.updatedAt = Date.now();
    await this.users.save(user);
    return this.get(id);
  }

  async changeOwnPassword(userId: string, body: z.infer<typeof ChangePasswordBody>): Promise<void> {
    const user = await this.users.findOneBy({ id: userId });
    if (!user || !(await verifyPassword(body.currentPassword, user.passwordHash))) {
      throw HubError.forbidden('The current password is wrong');
    }
    await this.users.update(
      { id: userId },
      { passwordHash: await hashPassword(body.newPassword), updatedAt: Date.now() },
    );
  }

  async remove(id: string, actorId: string | undefined): Promise<void> {
    if (id === actorId) throw conflict('You cannot delete yourself');
    if (!(await this.users.existsBy({ id }))) throw notFound('User');
    await this.ds.transaction(async (tx) => {
      await tx.getRepository(TeamMemberEntity).delete({ userId: id });
      await tx.getRepository(GrantEntity).delete({ subjectType: 'user', subjectId: id });
      await tx.getRepository(AccessTokenEntity).delete({ userId: id });
      await tx.getRepository(UserEntity).delete({ id });
    });
  }
}
