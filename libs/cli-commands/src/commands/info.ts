import { existsSync } from 'node:fs';
import { formatBytes } from '../format';
import { HfCacheRepo } from '../hf-cache';
import { MirrorClient } from '../mirror-client';
import { CliOutput } from '../pull-progress';
import { infoPath, parseRepoSpec } from '../repo-spec';

/** `dingo info <repo>[@rev]`: the repo as the mirror describes it, and whether it is in the local cache. */
export async function infoCommand(
  client: MirrorClient,
  spec: string,
  opts: { type?: string; revision?: string; cacheDir: string; json: boolean },
  io: CliOutput,
): Promise<void> {
  const repo = parseRepoSpec(spec, opts.type, opts.revision);
  const { body: info } = await client.json<Record<string, unknown>>(infoPath(repo));
  const siblings = (Array.isArray(info.siblings) ? info.siblings : []) as Array<{
    rfilename: string;
    size?: number;
  }>;
  const totalBytes = siblings.reduce((n, s) => n + (s.size ?? 0), 0);
  const local = new HfCacheRepo(opts.cacheDir, repo.type, repo.id);
  const localSnapshot = typeof info.sha === 'string' && existsSync(local.snapshotPath(info.sha, ''));
  if (opts.json) return io.out(JSON.stringify({ ...info, totalBytes, localSnapshot }));
  const card = (info.cardData ?? {}) as Record<string, unknown>;
  const line = (k: string, v: unknown) =>
    io.out(`${k.padEnd(10)} ${v === undefined || v === null ? '-' : String(v)}`);
  line('id', info.id);
  line('type', repo.type);
  line('commit', info.sha);
  line('task', info.pipeline_tag);
  line('library', info.library_name);
  line('license', card.license);
  line('gated', info.gated);
  line('files', `${siblings.length} (${formatBytes(totalBytes)})`);
  line('local', localSnapshot ? local.dir : 'not in the local cache');
  for (const s of siblings) io.out(`  ${s.rfilename}  ${s.size === undefined ? '' : formatBytes(s.size)}`);
}
