import { RepoRef, ResolveRoute } from '@dingo/hub-protocol';
import { FileRecord } from '@dingo/metadata-store';
import type { ApiAnswer, ApiRequest } from '../api/api-proxy';

/**
 * A second source of files besides upstream: repos hosted on the mirror itself (libs/hosted).
 * A repo it owns (a configured local namespace) is answered by it alone, never by upstream, so a
 * hosted repo can never be shadowed by, nor shadow, an upstream repo of the same name.
 */
export interface HostedSource {
  owns(repo: RepoRef): boolean;
  /** The file at the route's revision (its blob is stored and verified), or a Hub error. */
  locate(route: ResolveRoute): Promise<FileRecord>;
  /** The Hub API reads (info, tree, paths-info, refs, commits) of an owned repo. */
  answerApi(req: ApiRequest): Promise<ApiAnswer>;
}

/** Where the app plugs its hosted source in; the file locator and the API proxy ask it first. */
export class HostedSlot {
  private source?: HostedSource;

  use(source: HostedSource): void {
    this.source = source;
  }

  /** The source owning `repo`, if any. */
  for(repo: RepoRef): HostedSource | undefined {
    return this.source?.owns(repo) ? this.source : undefined;
  }
}
