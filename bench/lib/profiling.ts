import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProfileSummary, summarizeProfile } from './cpu-profile';
import type { MirrorDeployment } from './deployments';

/**
 * Records a CPU profile of the mirror's front process for the first `windowS` seconds of `load`
 * (or all of it, if shorter), then aborts the load: a profile needs a representative window, not
 * the whole run. Written to bench/results/profiles/<name>.cpuprofile (git-ignored) and summarized.
 */
export async function profileWhile(
  repoRoot: string,
  mirror: MirrorDeployment,
  name: string,
  windowS: number,
  load: (signal: AbortSignal) => Promise<unknown>,
): Promise<ProfileSummary> {
  const dir = join(repoRoot, 'bench', 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.cpuprofile`);
  const abort = new AbortController();
  setMaxListeners(1000, abort.signal); // one listener per client process
  await mirror.startProfile();
  const running = load(abort.signal).then(
    () => undefined,
    () => undefined,
  );
  await Promise.race([running, sleep(windowS * 1000)]);
  await mirror.stopProfile(path);
  abort.abort();
  await running;
  return summarizeProfile(path, repoRoot);
}
