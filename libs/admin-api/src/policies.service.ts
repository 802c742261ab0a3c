import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { z } from 'zod';
import { ACCESS_CONFIG, ACCESS_DATA_SOURCE, RepoPolicyEntity } from '@dingo/auth';
import { DingoConfig } from '@dingo/config';
import { notFound } from './errors';
import { CreatePolicyBody } from './schemas';
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
