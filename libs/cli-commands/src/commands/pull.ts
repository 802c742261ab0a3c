import { join } from 'node:path';
import { CliError, EXIT } from '../cli-errors';
import { FetchTarget, FileFetcher, RemoteFile } from '../file-fetcher';
import { formatBytes } from '../format';
import { selectPaths } from '../globs';
import { HfCacheRepo } from '../hf-cache';
import { MirrorClient } from '../mirror-client';
import { CliOutput, PullProgress } from '../pull-progress';
import { infoPath, parseRepoSpec, RepoSpec, resolvePath } from '../repo-spec';

export interface PullOptions {
  type?: string;
  revision?: string;
  include: string[];
  exclude: string[];
  localDir?: string;
  cacheDir: string;
  connections: number;
  partSize: number;
  retries: number;
  json: boolean;
  quiet: boolean;
}

interface Sibling {
  rfilename?: unknown;
  size?: unknown;
  blobId?: unknown;
  lfs?: { sha256?: unknown } | null;
}

interface ContentHit {
  type: 'model' | 'dataset' | 'space';
  id: string;
  commit: string;
  path: string;
}

/**
 * `dingo pull <repo>[@rev]` (or `sha256:<hex>`): lists the revision's files through the mirror,
 * keeps those the globs select, and fetches them in parallel Range requests into the Hugging Face
 * cache layout (or `--local-dir`), each verified against its sha256 / git blob id.
 */
export async function pullCommand(
  client: MirrorClient,
  target: string,
  opts: PullOptions,
  io: CliOutput,
): Promise<void> {
  const t0 = Date.now();
  let repo: RepoSpec;
  let only: string[] | undefined;
  const byHash = /^sha256:([0-9a-fA-F]{64})$/.exec(target);
  if (byHash) {
    const { body: hits } = await client.json<ContentHit[]>(
      `/admin/v1/catalogue/by-hash/${byHash[1].toLowerCase()}`,
    );
    if (!hits.length)
      throw new CliError(EXIT.notFound, `no repo on the mirror holds a file with sha256 ${byHash[1]}`);
    repo = { type: hits[0].type, id: hits[0].id, revision: hits[0].commit };
    only = [hits[0].path];
  } else repo = parseRepoSpec(target, opts.type, opts.revision);

  const { body: info } = await client.json<{ sha?: unknown; siblings?: unknown }>(infoPath(repo));
  if (typeof info.sha !== 'string' || !Array.isArray(info.siblings))
    throw new CliError(EXIT.failure, `the mirror's info answer for ${repo.id} lists no commit or files`);
  const commit = info.sha;
  const all = (info.siblings as Sibling[]).map(toRemoteFile);
  const files = only
    ? all.filter((f) => only.includes(f.path))
    : selectPaths(all, (f) => f.path, opts.include, opts.exclude);
  if (!files.length && (opts.include.length || only))
    throw new CliError(
      EXIT.notFound,
      `no file of ${repo.id}@${repo.revision} matches ${opts.include.join(', ')}`,
    );

  const cache = new HfCacheRepo(opts.cacheDir, repo.type, repo.id);
  const etag = (f: RemoteFile) => f.sha256 ?? f.blobId;
  // Files with the same content are fetched once and linked under every path (cache layout).
  const byDest = new Map<string, { target: FetchTarget; paths: string[] }>();
  for (const file of files) {
    const dest = opts.localDir ? join(opts.localDir, ...file.path.split('/')) : cache.blobPath(etag(file));
    const known = byDest.get(dest);
    if (known) known.paths.push(file.path);
    else
      byDest.set(dest, {
        target: { file, urlPath: resolvePath(repo.type, repo.id, commit, file.path), dest },
        paths: [file.path],
      });
  }
  const unique = [...byDest.values()];
  const totalBytes = unique.reduce((n, u) => n + u.target.file.size, 0);
  const progress = new PullProgress(io, totalBytes, unique.length, opts.quiet || opts.json);
  const fetcher = new FileFetcher(
    client,
    { connections: opts.connections, partSize: opts.partSize, retries: opts.retries },
    progress,
  );
  let report;
  try {
    report = await fetcher.fetchAll(
      unique.map((u) => u.target),
      async (t) => {
        if (opts.localDir) return;
        for (const path of byDest.get(t.dest)!.paths) cache.link(commit, path, etag(t.file));
      },
    );
  } finally {
    progress.stop();
  }
  if (!opts.localDir) cache.writeRef(repo.revision, commit);
  const seconds = (Date.now() - t0) / 1000;
  const where = opts.localDir ?? join(cache.dir, 'snapshots', commit);
  if (opts.json) {
    io.out(
      JSON.stringify({
        repo: repo.id,
        type: repo.type,
        revision: repo.revision,
        commit,
        path: where,
        files: files.length,
        fetchedFiles: report.fetchedFiles,
        bytes: report.bytes,
        resumedBytes: report.resumedBytes,
        totalBytes,
        seconds,
      }),
    );
    return;
  }
  if (!opts.quiet)
    io.err(
      `pulled ${repo.id}@${commit.slice(0, 12)}: ${files.length} files, ${formatBytes(report.bytes)} fetched` +
        `${report.resumedBytes ? `, ${formatBytes(report.resumedBytes)} resumed` : ''} in ${seconds.toFixed(1)}s` +
        ` (${formatBytes(report.bytes / Math.max(seconds, 0.001))}/s)`,
    );
  io.out(where);
}

function toRemoteFile(s: Sibling): RemoteFile {
  if (typeof s.rfilename !== 'string' || typeof s.size !== 'number' || typeof s.blobId !== 'string')
    throw new CliError(EXIT.failure, 'the mirror listed files without sizes or blob ids');
  if (s.rfilename.split('/').some((part) => part === '..' || part === '' || part === '.'))
    throw new CliError(EXIT.failure, `refusing a file path that leaves the destination: ${s.rfilename}`);
  return {
    path: s.rfilename,
    size: s.size,
    blobId: s.blobId,
    ...(typeof s.lfs?.sha256 === 'string' && { sha256: s.lfs.sha256 }),
  };
}
