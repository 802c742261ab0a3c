import type { AccessPolicy } from './access-policy';
import type { CdnUrlSigner } from './cdn-url-signer';
import type { RepoRegistry } from './repo-registry';
import type { SimRepoState } from './sim-repo';
import type { XetCasStore } from './xet-cas-store';
import type { XetTokenIssuer, XorbUrlSigner } from './xet-tokens';

/** What the controllers share. */
export interface SimContext {
  readonly registry: RepoRegistry;
  readonly policy: AccessPolicy;
  readonly signer: CdnUrlSigner;
  readonly hubUrl: string;
  readonly cdnUrl: string;
  readonly casUrl: string;
  readonly xetStore: XetCasStore;
  readonly xetTokens: XetTokenIssuer;
  readonly xorbSigner: XorbUrlSigner;
  readonly xetReconstructionV2: boolean;
  readonly treePageSize?: number;
  readonly gzipTextFiles: boolean;
}

/** `models` have no URL prefix; datasets and spaces do. */
export function repoUrlPrefix(repo: Pick<SimRepoState, 'type'>): string {
  return repo.type === 'model' ? '' : `${repo.type}s/`;
}
