import type { SimRepoState } from './sim-repo';
import type { SimRepoType } from './types';

/** The repos the simulator serves, by type and id. */
export class RepoRegistry {
  private readonly repos = new Map<string, SimRepoState>();
  private readonly shaPaths = new Map<string, Set<string>>();
  private readonly contents = new Map<string, { diskPath: string; size: number }>();

  put(repo: SimRepoState): void {
    this.repos.set(key(repo.type, repo.id), repo);
    for (const commit of repo.commits) {
      for (const file of commit.files.values()) {
        let paths = this.shaPaths.get(file.sha256);
        if (!paths) this.shaPaths.set(file.sha256, (paths = new Set()));
        paths.add(file.path);
        this.contents.set(file.sha256, { diskPath: file.diskPath, size: file.size });
      }
    }
  }

  /** Whether some revision of the repo has a file with this Xet hash (what a repo's CAS token may read). */
  xetFileInRepo(type: SimRepoType, id: string, xetHash: string): boolean {
    const repo = this.get(type, id);
    return !!repo?.commits.some((c) => [...c.files.values()].some((f) => f.xetHash === xetHash));
  }

  get(type: SimRepoType, id: string): SimRepoState | undefined {
    return this.repos.get(key(type, id));
  }

  all(type: SimRepoType): SimRepoState[] {
    return [...this.repos.values()].filter((r) => r.type === type);
  }

  /** Every repo file path whose content has this sha256. */
  pathsOf(sha256: string): Set<string> {
    return this.shaPaths.get(sha256) ?? new Set();
  }

  /** Where the content with this sha256 is stored, if any repo has it (the CDN serves by sha256). */
  content(sha256: string): { diskPath: string; size: number } | undefined {
    return this.contents.get(sha256);
  }

  /**
   * How many leading segments form the repo id ('name' or 'namespace/name'): a known repo wins;
   * otherwise two unless the second segment is a route keyword.
   */
  idLength(type: SimRepoType, segments: string[], keywords: ReadonlySet<string>): 1 | 2 {
    if (segments.length >= 2 && this.get(type, `${segments[0]}/${segments[1]}`)) return 2;
    if (this.get(type, segments[0])) return 1;
    return segments.length >= 2 && !keywords.has(segments[1]) ? 2 : 1;
  }
}

function key(type: SimRepoType, id: string): string {
  return `${type}:${id}`;
}
