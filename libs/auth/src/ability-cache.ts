import { ANONYMOUS, AppAbility } from './access-model';
import { defineAbilityFor } from './ability-factory';
import { AccessDirectory, UserAccess } from './access-directory';
import type { Credential } from './credential-verifier';
import { AccessSettings } from './upstream-credentials';

/** Builds each caller's CASL ability once per directory cache entry (regexes compiled once, not per request). */
export class AbilityCache {
  private readonly byAccess = new WeakMap<UserAccess, AppAbility>();
  private anonymous?: { roles: unknown; ability: AppAbility };

  constructor(
    private readonly directory: AccessDirectory,
    private readonly settings: AccessSettings,
  ) {}

  async forCredential(credential: Credential): Promise<AppAbility> {
    const roles = await this.directory.roles();
    const opts = { anonymousRead: this.settings.anonymousRead };
    if (credential.kind !== 'user') {
      if (this.anonymous?.roles !== roles)
        this.anonymous = { roles, ability: defineAbilityFor(ANONYMOUS, [], roles, opts) };
      return this.anonymous.ability;
    }
    let ability = this.byAccess.get(credential.access);
    if (!ability) {
      ability = defineAbilityFor(credential.access.principal, credential.access.grants, roles, opts);
      this.byAccess.set(credential.access, ability);
    }
    return ability;
  }
}
