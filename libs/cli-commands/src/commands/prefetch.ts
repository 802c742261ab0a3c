import { SingleBar } from 'cli-progress';
import { CliError, EXIT } from '../cli-errors';
import { formatBytes } from '../format';
import { MirrorClient } from '../mirror-client';
import { CliOutput } from '../pull-progress';
import { infoPath, parseRepoSpec } from '../repo-spec';

export interface PrefetchOptions {
  type?: string;
  revision?: string;
  json: boolean;
  quiet: boolean;
  timeoutSeconds: number;
  intervalMs: number;
}

interface CachedFile {
  commit: string;
  path: string;
  size: number;
  state: string;
}

/**
 * `dingo prefetch <repo>[@rev]`: asks the mirror to pull a whole revision into its cache (the
 * admin sync route; maintainers and admins), then follows it until every file of the revision is
 * cached and verified, from the mirror's list of what it holds (no job to poll: the cache is the
 * truth). Exit 1 when it is not complete within `--timeout`.
 */
export async function prefetchCommand(
  client: MirrorClient,
  spec: string,
  opts: PrefetchOptions,
  io: CliOutput,
): Promise<void> {
  const t0 = Date.now();
  const repo = parseRepoSpec(spec, opts.type, opts.revision);
  const { body: info } = await client.json<{
    sha?: unknown;
    siblings?: Array<{ rfilename: string; size?: number }>;
  }>(infoPath(repo));
  if (typeof info.sha !== 'string' || !Array.isArray(info.siblings))
    throw new CliError(EXIT.failure, `the mirror's info answer for ${repo.id} lists no commit or files`);
  const commit = info.sha;
  const files = info.siblings.map((s) => ({ path: s.rfilename, size: s.size ?? 0 }));
  const total = files.reduce((n, f) => n + f.size, 0);
  const route = `${repo.type}s/${repo.id}`;
  await client.postJson(`/admin/v1/sync/${route}`, { revision: commit });
  const bar =
    io.isTty && !opts.quiet && !opts.json
      ? new SingleBar({
          format: `prefetch ${repo.id} |{bar}| {percentage}% {done}/{size} {files}`,
          stream: process.stderr,
          hideCursor: true,
        })
      : undefined;
  bar?.start(Math.max(1, total), 0, { done: formatBytes(0), size: formatBytes(total), files: '' });
  let lastLine = '';
  let state = { files: 0, bytes: 0 };
  try {
    for (;;) {
      state = await cachedOf(client, route, commit, files);
      const files_ = `${state.files}/${files.length} files`;
      bar?.update(state.bytes, { done: formatBytes(state.bytes), size: formatBytes(total), files: files_ });
      const line = `prefetch ${repo.id}@${commit.slice(0, 12)}: ${files_}, ${formatBytes(state.bytes)} of ${formatBytes(total)}`;
      if (!bar && !opts.quiet && !opts.json && line !== lastLine) io.err((lastLine = line));
      if (state.files === files.length) break;
      if (Date.now() - t0 > opts.timeoutSeconds * 1000)
        throw new CliError(EXIT.failure, `${line}: not complete after ${opts.timeoutSeconds}s`);
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
  } finally {
    bar?.stop();
  }
  const seconds = (Date.now() - t0) / 1000;
  if (opts.json)
    io.out(
      JSON.stringify({
        repo: repo.id,
        type: repo.type,
        revision: repo.revision,
        commit,
        files: files.length,
        bytes: total,
        seconds,
      }),
    );
  else if (!opts.quiet)
    io.err(
      `prefetched ${repo.id}@${commit.slice(0, 12)}: ${files.length} files, ${formatBytes(total)} in ${seconds.toFixed(1)}s`,
    );
}

/** Files of the revision the mirror holds complete (verified); empty files count as held. */
async function cachedOf(
  client: MirrorClient,
  route: string,
  commit: string,
  files: Array<{ path: string; size: number }>,
): Promise<{ files: number; bytes: number }> {
  let cached: CachedFile[] = [];
  try {
    cached = (await client.json<CachedFile[]>(`/admin/v1/cache/repos/${route}`)).body;
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== EXIT.notFound) throw err;
  }
  const verified = new Set(
    cached.filter((f) => f.commit === commit && f.state === 'verified').map((f) => f.path),
  );
  let n = 0;
  let bytes = 0;
  for (const f of files)
    if (f.size === 0 || verified.has(f.path)) {
      n++;
      bytes += f.size;
    }
  return { files: n, bytes };
}
