import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { z } from 'zod';
import { ACCESS_CONFIG, ACCESS_DATA_SOURCE, RepoPolicyEntity, repoPatternRegex } from '@dingo/auth';
import { DingoConfig } from '@dingo/config';
import { notFound } from './errors';
import { CreatePolicyBody, PolicyCheckQuery } from './schemas';
import { policyView } from './views';

/** Allow/deny rules on upstream repos (the guard applies them before any upstream fetch). */
@Injectable()
export class PoliciesService {
  private readonly policies: Repository<RepoPolicyEntity>;

  constructor(
    @Inject(ACCESS_DATA_SOURCE) ds: DataSource,
    @Inject(ACCESS_CONFIG) private readonly config: DingoConfig,
  ) {
    this.policies = ds.getRepository(RepoPolicyEntity);
  }

  async list() {
    const rules = (await this.policies.find({ order: { createdAt: 'ASC' } })).map(policyView);
    return {
      default: this.config.auth.policyDefault,
      evaluation: 'a matching deny wins, then a matching allow, then the default',
      rules,
    };
  }

  /** The verdict the guard would reach for this repo: a matching deny wins, then an allow, then the default. */
  async check(q: z.infer<typeof PolicyCheckQuery>) {
    const rules = (await this.policies.find({ order: { createdAt: 'ASC' } })).filter(
      (r) => (r.repoType === '*' || r.repoType === q.type) && repoPatternRegex(r.pattern).test(q.repo),
    );
    const deciding = rules.find((r) => r.effect === 'deny') ?? rules.find((r) => r.effect === 'allow');
    const effect = deciding ? deciding.effect : this.config.auth.policyDefault;
    return {
      type: q.type,
      repo: q.repo,
      allowed: effect === 'allow',
      decidedBy: deciding ? 'rule' : 'default',
      rule: deciding ? policyView(deciding) : null,
    };
  }

  async create(body: z.infer<typeof CreatePolicyBody>, actorId: string | undefined) {
    const policy = this.policies.create({
      id: randomUUID(),
      effect: body.effect,
      repoType: body.repoType,
      pattern: body.pattern,
      reason: body.reason ?? null,
      createdAt: Date.now(),
      createdBy: actorId ?? null,
    });
    await this.policies.insert(policy);
    return policyView(policy);
  }

  async remove(id: string): Promise<void> {
    const result = await this.policies.delete({ id });
    if (!result.affected) throw notFound('Policy');
  }
}
