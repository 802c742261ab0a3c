import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface GroupCount {
  cases: number;
  passed: number;
  failed: number;
}

/**
 * Jest gives every spec file its own module registry (and maybe its own worker), so the per-group
 * counts of one run meet in a file named after the run's jest process: the main process when run
 * in band, the workers' parent otherwise.
 */
function runFile(): string {
  const jestPid = typeof process.send === 'function' ? process.ppid : process.pid;
  return join(tmpdir(), `dingo-hostile-tally-${jestPid}.json`);
}

/** Tallies of runs over an hour old are removed (each run leaves one small file in the temp dir). */
function removeOldRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!/^dingo-hostile-tally-\d+\.json$/.test(name)) continue;
    const path = join(tmpdir(), name);
    if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
  }
}

function readRun(file: string): Record<string, GroupCount> {
  // A file left by an older run whose pid was reused is not ours.
  if (!existsSync(file) || Date.now() - statSync(file).mtimeMs > 3_600_000) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

/**
 * The cases of one group of the hostile-input suite. `tally.it` is jest's `it` that also counts
 * the case, and whether it passed; after the file's tests the group's count is merged into the
 * run's and the table of every group so far is printed (the last file prints the whole suite).
 */
export function groupTally(group: string) {
  const count: GroupCount = { cases: 0, passed: 0, failed: 0 };
  afterAll(() => {
    const file = runFile();
    removeOldRuns();
    const run = readRun(file);
    const prev = run[group] ?? { cases: 0, passed: 0, failed: 0 };
    run[group] = {
      cases: prev.cases + count.cases,
      passed: prev.passed + count.passed,
      failed: prev.failed + count.failed,
    };
    writeFileSync(file, JSON.stringify(run));
    console.log(table(run));
  });
  return {
    it(name: string, fn: () => Promise<unknown> | void, timeoutMs?: number): void {
      count.cases++;
      it(
        name,
        async () => {
          try {
            await fn();
            count.passed++;
          } catch (err) {
            count.failed++;
            throw err;
          }
        },
        timeoutMs,
      );
    },
  };
}

function table(run: Record<string, GroupCount>): string {
  const rows = Object.entries(run).sort(([a], [b]) => a.localeCompare(b));
  const total = rows.reduce(
    (t, [, c]) => ({ cases: t.cases + c.cases, passed: t.passed + c.passed, failed: t.failed + c.failed }),
    { cases: 0, passed: 0, failed: 0 },
  );
  const width = Math.max(5, ...rows.map(([g]) => g.length));
  const line = (g: string, c: GroupCount) =>
    `${g.padEnd(width)} | ${String(c.cases).padStart(5)} | ${String(c.passed).padStart(6)} | ${String(c.failed).padStart(6)}`;
  return [
    'hostile-input suite: cases per group (this run so far)',
    `${'group'.padEnd(width)} | cases | passed | failed`,
    `${'-'.repeat(width)}-+-------+--------+-------`,
    ...rows.map(([g, c]) => line(g, c)),
    `${'-'.repeat(width)}-+-------+--------+-------`,
    line('total', total),
  ].join('\n');
}
