import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ScenarioResult, TableRow } from '../scenarios/scenario';
import { fmt, Measure } from './stats';

function cell(m: Measure | undefined): string {
  if (!m) return '';
  if (m.samples.length < 2 || m.min === m.max) return fmt(m.median);
  return `${fmt(m.median)} (${fmt(m.min)}-${fmt(m.max)})`;
}

/** The printed table: one block per scenario, medians with the min-max of the reps. */
export function renderTable(results: ScenarioResult[]): string {
  const header = ['metric', 'mirror', 'baseline', 'vs', 'ratio', 'meaning / note'];
  const blocks = results.map((r) => ({
    title:
      (r.status === 'ok' ? r.title : `${r.title}: ${r.status.toUpperCase()}: ${r.reason ?? ''}`) +
      (r.foreignLoad && r.foreignLoad.foreignCores >= 0.1
        ? `  [other load meanwhile: ${r.foreignLoad.foreignCores} cores]`
        : ''),
    lines: r.rows.map(rowCells),
  }));
  const all = blocks.flatMap((b) => b.lines);
  const widths = header.map((h, i) => Math.max(h.length, ...all.map((l) => l[i].length)));
  const fmtLine = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [fmtLine(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const b of blocks) out.push('', b.title, ...b.lines.map(fmtLine));
  return out.join('\n');
}

function rowCells(row: TableRow): string[] {
  const meaning = [row.ratio ? row.ratioMeaning : undefined, row.note].filter(Boolean).join('; ');
  return [
    '  ' + row.metric,
    cell(row.mirror),
    cell(row.baseline),
    row.baseline || row.ratio ? (row.baselineName ?? '') : '',
    row.ratio ? fmt(row.ratio.median) : '',
    meaning,
  ];
}

/** Writes the JSON report atomically, formatted as `npm run format` would leave it (stable diffs). */
export async function writeReport(path: string, report: unknown): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  let text = JSON.stringify(report, null, 2) + '\n';
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(path)) ?? {};
    text = await prettier.format(text, { ...options, filepath: path });
  } catch {
    /* prettier is a dev tool: without it the plain JSON is fine */
  }
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The top frames of each profile taken, for the console (the JSON keeps the full summaries). */
export function renderProfiles(results: ScenarioResult[], top = 8): string {
  const out: string[] = [];
  for (const r of results) {
    for (const p of r.profiles ?? []) {
      out.push('', `CPU profile of the mirror: ${p.label} (${p.durationS.toFixed(1)} s, ${p.file})`);
      out.push(
        `  self time:  ${p.topSelf
          .slice(0, top)
          .map((f) => `${f.percent}% ${f.frame}`)
          .join(' | ')}`,
      );
      out.push(
        `  by area:    ${p.byArea
          .slice(0, top)
          .map((f) => `${f.percent}% ${f.frame}`)
          .join(' | ')}`,
      );
    }
  }
  return out.join('\n');
}
