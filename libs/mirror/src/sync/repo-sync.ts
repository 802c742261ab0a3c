import { Logger } from '@nestjs/common';
import { encodeRevision, HubError, RepoRef, repoUrlPrefix } from '@dingo/hub-protocol';
import { JobContext, JobQueue, PRIORITY } from '@dingo/jobs';
import { ApiProxy } from '../api/api-proxy';
import { BlobLedger } from '../blobs/blob-ledger';
import { chunkCount } from '../blobs/blob-plan';
import { FileLocator } from '../files/file-locator';
import { ChunkPuller } from '../pull/chunk-puller';

/** Queues of prefetch jobs. */
export const PULL_FILE_QUEUE = 'pull-file';
export const PULL_SNAPSHOT_QUEUE = 'pull-repo-snapshot';

export interface PullFileJob {
  repo: RepoRef;
  revision: string;
  path: string;
  authorization?: string;
}

export interface PullSnapshotJob {
  repo: RepoRef;
  revision: string;
  authorization?: string;
}

/**
 * Prefetch: `pull-file` brings every chunk of one file into the store; `pull-repo-snapshot` lists
 * a revision's files and queues a `pull-file` for each (at the resolved commit, so a moving branch
 * cannot mix two snapshots). Both are idempotent: stored chunks are skipped.
 */
export class RepoSync {
  private readonly log = new Logger(RepoSync.name);

  constructor(
    private readonly locator: FileLocator,
    private readonly ledger: BlobLedger,
    private readonly puller: ChunkPuller,
    private readonly api: ApiProxy,
    private readonly files: JobQueue<PullFileJob>,
  ) {}

  async pullFile(job: PullFileJob, ctx: JobContext): Promise<void> {
    const file = await this.locator.locate(
      { repo: job.repo, revision: job.revision, path: job.path },
      job.authorization,
    );
    if (file.size === 0) return;
    const plan = await this.ledger.plan(file);
    const recorded = await this.ledger.recordedIndexes(plan.key);
    const total = chunkCount(plan);
    for (let index = 0; index < total; index++) {
      const id = { blob: plan.key, index };
      if (!recorded.has(index) || !(await this.ledger.stored(id))) {
        await this.puller.pull(plan, index, { file, authorization: job.authorization }).done;
      }
      await ctx.progress(Math.round(((index + 1) / total) * 100));
    }
  }

  async pullSnapshot(job: PullSnapshotJob, ctx: JobContext): Promise<void> {
    const { repo, revision } = job;
    const url = `/api/${repo.type}s/${repo.id}/revision/${encodeRevision(revision)}`;
    const answer = await this.api.handle({
      method: 'GET',
      url,
      route: { repo, action: { kind: 'info', revision } },
      authorization: job.authorization,
      publicBase: '',
    });
    const info = JSON.parse(answer.body.toString('utf8')) as {
      sha?: string;
      siblings?: Array<{ rfilename: string }>;
    };
    if (!info.sha || !Array.isArray(info.siblings))
      throw HubError.badGateway(`No file list for ${repo.id}@${revision}`);
    for (const { rfilename } of info.siblings) {
      await this.files.add(
        { repo, revision: info.sha, path: rfilename, authorization: job.authorization },
        {
          priority: PRIORITY.prefetch,
          jobId: `${repoUrlPrefix(repo.type)}${repo.id}@${info.sha}:${rfilename}`,
        },
      );
    }
    this.log.log(`queued ${info.siblings.length} files of ${repo.id}@${info.sha}`);
    await ctx.progress(100);
  }
}
