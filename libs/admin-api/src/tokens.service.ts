import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull, Repository } from 'typeorm';
import { z } from 'zod';
import {
  ACCESS_CONFIG,
  ACCESS_DATA_SOURCE,
  AccessTokenEntity,
  AppAbility,
  displayPrefixOf,
  generatePersonalToken,
  hashPersonalToken,
  permittedRows,
  TeamMemberEntity,
  UserEntity,
} from '@dingo/auth';
import { DingoConfig } from '@dingo/config';
import { notFound } from './errors';
import { CreateTokenBody } from './schemas';
import { tokenView } from './views';

const DAY_MS = 86_400_000;

/** Personal access tokens: the secret is shown once at creation; only its sha256 is kept. */
@Injectable()
export class TokensService {
  private readonly tokens: Repository<AccessTokenEntity>;

  constructor(
    @Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource,
    @Inject(ACCESS_CONFIG) private readonly config: DingoConfig,
  ) {
    this.tokens = ds.getRepository(AccessTokenEntity);
  }

  async list(ability: AppAbility, filter: { userId?: string; includeRevoked?: boolean }) {
    const where = {
      ...(filter.userId ? { userId: filter.userId } : {}),
      ...(filter.includeRevoked ? {} : { revokedAt: IsNull() }),
    };
    const rows = await this.tokens.find({ where, order: { createdAt: 'DESC' } });
    const teams = new Map<string, string[]>();
    for (const m of await this.ds.getRepository(TeamMemberEntity).find())
      teams.set(m.userId, [...(teams.get(m.userId) ?? []), m.teamId]);
    const now = Date.now();
    return permittedRows(ability, 'read', 'Token', rows, (t) => ({
      userId: t.userId,
      ownerTeamIds: teams.get(t.userId) ?? [],
    })).map((t) => tokenView(t, now));
  }

  async get(id: string) {
    const token = await this.tokens.findOneBy({ id });
    if (!token) throw notFound('Token');
    return tokenView(token);
  }

  async create(body: z.infer<typeof CreateTokenBody>, userId: string, actorId: string | undefined) {
    if (!(await this.ds.getRepository(UserEntity).existsBy({ id: userId }))) throw notFound('User');
    const secret = generatePersonalToken();
    const now = Date.now();
    const token = this.tokens.create({
      id: randomUUID(),
      userId,
      name: body.name,
      tokenHash: hashPersonalToken(secret),
      displayPrefix: displayPrefixOf(secret),
      createdAt: now,
      expiresAt: now + (body.expiresInDays ?? this.config.auth.tokenDefaultTtlDays) * DAY_MS,
      revokedAt: null,
      lastUsedAt: null,
      createdBy: actorId ?? null,
    });
    await this.tokens.insert(token);
    return { ...tokenView(token, now), token: secret };
  }

  async revoke(id: string) {
    const token = await this.tokens.findOneBy({ id });
    if (!token) throw notFound('Token');
    if (token.revokedAt === null) {
      token.revokedAt = Date.now();
      await this.tokens.update({ id }, { revokedAt: token.revokedAt });
    }
    return tokenView(token);
  }
}
