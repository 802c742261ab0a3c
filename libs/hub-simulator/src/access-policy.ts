import type { IncomingMessage } from 'node:http';
import { HubError } from './hub-error';
import type { SimRepoState } from './sim-repo';
import type { SimTokenGrant } from './types';

/** Who is calling: a valid token's grant, or anonymous (no token, or one the Hub does not know). */
export interface Caller {
  token?: string;
  grant?: SimTokenGrant;
}

/** Decides, like the Hub, who may see a repo and who may read its files. */
export class AccessPolicy {
  constructor(
    private readonly tokens: Record<string, SimTokenGrant>,
    private readonly repoPageUrl: (repo: SimRepoState) => string,
  ) {}

  caller(req: IncomingMessage): Caller {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    return { token, grant: token ? this.tokens[token] : undefined };
  }

  /** A private repo the caller may not see is reported exactly like a missing one. */
  visible(repo: SimRepoState | undefined, caller: Caller): SimRepoState {
    if (!repo || (repo.private && !this.entitled(repo, caller))) {
      throw HubError.repoNotFound(caller.grant !== undefined);
    }
    return repo;
  }

  /** Files, trees and paths-info of a gated repo need an approved token; its info page does not. */
  readable(repo: SimRepoState | undefined, caller: Caller): SimRepoState {
    const visible = this.visible(repo, caller);
    if (visible.gated && !this.entitled(visible, caller)) {
      throw caller.grant
        ? HubError.gatedNotApproved(visible.type, visible.id, this.repoPageUrl(visible))
        : HubError.gatedAnonymous(visible.type, visible.id);
    }
    return visible;
  }

  /** Whether the caller may list the repo in /api/models etc. */
  listable(repo: SimRepoState, caller: Caller): boolean {
    return !repo.private || this.entitled(repo, caller);
  }

  private entitled(repo: SimRepoState, caller: Caller): boolean {
    const grant = caller.grant;
    if (!grant) return false;
    const ns = repo.namespace;
    return (
      (ns !== undefined && (ns === grant.user || (grant.orgs ?? []).includes(ns))) ||
      (grant.approved ?? []).some((a) => a === '*' || a === repo.id)
    );
  }
}
