import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { z } from 'zod';
import { ACCESS_DATA_SOURCE, AuditEventEntity, AuditLog, UserEntity } from '@dingo/auth';
import { AuditQuery } from './schemas';
import { iso, likeEscaped } from './views';

/** Audit log queries: newest first, filtered by time range, user, repo (exact or `ns/*`) and action; keyset paging. */
@Injectable()
export class AuditQueryService {
  constructor(
    @Inject(ACCESS_DATA_SOURCE) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly log: AuditLog,
  ) {}

  async query(q: z.infer<typeof AuditQuery>) {
    await this.log.flush();
    const limit = q.limit ?? 100;
    const qb = this.ds
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .orderBy('e.id', 'DESC')
      .limit(limit + 1);
    if (q.from !== undefined) qb.andWhere('e.at >= :from', { from: q.from });
    if (q.to !== undefined) qb.andWhere('e.at < :to', { to: q.to });
    if (q.userId) qb.andWhere('e.userId = :userId', { userId: q.userId });
    if (q.action) qb.andWhere('e.action = :action', { action: q.action });
    if (q.repo?.endsWith('/*')) {
      qb.andWhere("e.repoId LIKE :prefix ESCAPE '!'", { prefix: `${likeEscaped(q.repo.slice(0, -1))}%` });
    } else if (q.repo) {
      qb.andWhere('e.repoId = :repo', { repo: q.repo });
    }
    if (q.cursor) qb.andWhere('e.id < :cursor', { cursor: q.cursor });
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    const userIds = [...new Set(page.map((r) => r.userId).filter((u): u is string => !!u))];
    const users = userIds.length ? await this.ds.getRepository(UserEntity).findBy({ id: In(userIds) }) : [];
    const names = new Map(users.map((u) => [u.id, u.username]));
    return {
      items: page.map((e) => ({
        id: String(e.id),
        at: iso(e.at),
        action: e.action,
        status: e.status,
        userId: e.userId,
        username: e.userId ? (names.get(e.userId) ?? null) : null,
        tokenId: e.tokenId,
        repoType: e.repoType,
        repoId: e.repoId,
        revision: e.revision,
        path: e.path,
        bytes: e.bytes,
        clientIp: e.clientIp,
        detail: e.detail ? JSON.parse(e.detail) : null,
      })),
      nextCursor: rows.length > limit ? String(page[page.length - 1].id) : null,
    };
  }
}
