import { Logger } from '@nestjs/common';
import { ChunkStore } from '@dingo/chunk-store';
import { encodeRevision, HubError, RepoRef, repoUrlPrefix } from '@dingo/hub-protocol';
import { JobContext, JobQueue, PRIORITY } from '@dingo/jobs';
import { MetadataPort } from '@dingo/metadata-store';
import { ApiProxy } from './api-proxy';
import { chunkCount } from './blob-plan';
import { ChunkPuller } from './chunk-puller';
import { FileLocator } from './file-locator';
import { ResolveService } from './resolve-service';

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
    private readonly resolve: ResolveService,
    private readonly puller: ChunkPuller,
    private readonly store: ChunkStore,
    private readonly meta: MetadataPort,
    private readonly api: ApiProxy,
    private readonly files: JobQueue<PullFileJob>,
  ) {}

  async pullFile(job: PullFileJob, ctx: JobContext): Promise<void> {
    const file = await this.locator.locate(
      { repo: job.repo, revision: job.revision, path: job.path },
      job.authorization,
    );
    if (file.size === 0) return;
    const plan = await this.resolve.planFor(file);
    const stored = new Set((await this.meta.listChunks(plan.key)).map((c) => c.index));
    const total = chunkCount(plan);
    for (let index = 0; index < total; index++) {
      if (!stored.has(index) || (await this.store.stat({ blob: plan.key, index })) === undefined) {
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
      throw new HubError(502, 'UpstreamUnavailable', `No file list for ${repo.id}@${revision}`);
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
