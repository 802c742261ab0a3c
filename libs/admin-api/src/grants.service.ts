import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { z } from 'zod';
import {
  ACCESS_DATA_SOURCE,
  AccessDirectory,
  AppAbility,
  BUILTIN_ROLES,
  GrantEntity,
  permittedRows,
  RoleEntity,
  TeamEntity,
  UserEntity,
} from '@dingo/auth';
import { HubError } from '@dingo/hub-protocol';
import { conflict, notFound } from './errors';
import { CreateGrantBody, CreateRoleBody } from './schemas';
import { grantView } from './views';

/** Roles (built-in and custom) and grants of a role on a repo pattern to a team or a user. */
@Injectable()
export class GrantsService {
  private readonly grants: Repository<GrantEntity>;
  private readonly roles: Repository<RoleEntity>;

  constructor(
    @Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource,
    @Inject(AccessDirectory) private readonly directory: AccessDirectory,
  ) {
    this.grants = ds.getRepository(GrantEntity);
    this.roles = ds.getRepository(RoleEntity);
  }

  async listRoles() {
    return [...(await this.directory.roles()).values()];
  }

  async createRole(body: z.infer<typeof CreateRoleBody>) {
    if ((await this.directory.roles()).has(body.name)) throw conflict(`role "${body.name}" exists`);
    const actions = [...new Set(body.actions)];
    await this.roles.insert({
      name: body.name,
      description: body.description ?? null,
      actions: actions.join(','),
      createdAt: Date.now(),
    });
    return { name: body.name, description: body.description ?? '', actions, builtin: false };
  }

  async deleteRole(name: string): Promise<void> {
    if (BUILTIN_ROLES.some((r) => r.name === name)) throw HubError.badRequest(`role "${name}" is built in`);
    if (!(await this.roles.existsBy({ name }))) throw notFound('Role');
    const inUse = await this.grants.countBy({ role: name });
    if (inUse) throw conflict(`role "${name}" is used by ${inUse} grant(s); delete them first`);
    await this.roles.delete({ name });
  }

  async list(ability: AppAbility, filter: { teamId?: string; userId?: string }) {
    const where = filter.teamId
      ? { subjectType: 'team', subjectId: filter.teamId }
      : filter.userId
        ? { subjectType: 'user', subjectId: filter.userId }
        : {};
    const rows = await this.grants.find({ where, order: { createdAt: 'ASC' } });
    return permittedRows(ability, 'read', 'Grant', rows, (g) => ({
      subjectType: g.subjectType,
      subjectId: g.subjectId,
    })).map(grantView);
  }

  async get(id: string) {
    const grant = await this.grants.findOneBy({ id });
    if (!grant) throw notFound('Grant');
    return grantView(grant);
  }

  async create(body: z.infer<typeof CreateGrantBody>, actorId: string | undefined) {
    if (!(await this.directory.roles()).has(body.role))
      throw HubError.badRequest(`role: no role named "${body.role}"`);
    const subjectType = body.teamId ? 'team' : 'user';
    const subjectId = (body.teamId ?? body.userId)!;
    const exists =
      subjectType === 'team'
        ? await this.ds.getRepository(TeamEntity).existsBy({ id: subjectId })
        : await this.ds.getRepository(UserEntity).existsBy({ id: subjectId });
    if (!exists) throw notFound(subjectType === 'team' ? 'Team' : 'User');
    const grant = this.grants.create({
      id: randomUUID(),
      subjectType,
      subjectId,
      role: body.role,
      repoType: body.repoType,
      pattern: body.pattern,
      createdAt: Date.now(),
      createdBy: actorId ?? null,
    });
    await this.grants.insert(grant);
    return grantView(grant);
  }

  async remove(id: string): Promise<void> {
    const result = await this.grants.delete({ id });
    if (!result.affected) throw notFound('Grant');
  }
}
