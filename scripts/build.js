#!/usr/bin/env node
// Compiles apps/ and libs/ (TypeScript, without tests) to dist/ with SWC, the same transform the
// tests use (.swcrc), so production runs plain JavaScript: no compiler in the process, smaller
// RSS, faster start. `@dingo/*` imports resolve through dist/node_modules/@dingo/<name> stubs made
// from tsconfig.base.json's paths. Incremental: only sources newer than their output are compiled.
// The web console (apps/console, browser code) is not compiled by SWC: Vite bundles it to
// dist/console, again only when a source is newer than the last bundle.
'use strict';
const { spawnSync } = require('node:child_process');
const { transformFileSync } = require('@swc/core');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
const options = { ...swcrc, swcrc: false, sourceMaps: true, module: { ...swcrc.module, lazy: true } };
delete options.$schema;

const isSource = (file) =>
  file.endsWith('.ts') &&
  !file.endsWith('.d.ts') &&
  !/\.(spec|contract|fixture)\.ts$/.test(file) &&
  !file.split(path.sep).some((part) => part === 'testing' || part === '__tests__');

const CONSOLE = path.join(root, 'apps', 'console');

function* sources(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && full !== CONSOLE) yield* sources(full);
    } else if (isSource(full)) yield full;
  }
}

function build() {
  let compiled = 0;
  const seen = new Set();
  for (const top of ['apps', 'libs']) {
    for (const file of sources(path.join(root, top))) {
      const rel = path.relative(root, file);
      const out = path.join(dist, rel.replace(/\.ts$/, '.js'));
      seen.add(out);
      if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(file).mtimeMs) continue;
      const { code, map } = transformFileSync(file, {
        ...options,
        filename: file,
        sourceFileName: path.relative(path.dirname(out), file),
      });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      writeAtomically(`${out}.map`, map);
      writeAtomically(out, `${code}\n//# sourceMappingURL=${path.basename(out)}.map\n`);
      compiled++;
    }
  }
  // Outputs whose source is gone would otherwise still be importable.
  for (const top of ['apps', 'libs']) removeStale(path.join(dist, top), seen);
  linkAliases();
  return compiled + buildConsole();
}

/** Newest modification time under `dir` (files only). */
function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full));
    else latest = Math.max(latest, fs.statSync(full).mtimeMs);
  }
  return latest;
}

/**
 * Bundles the console with Vite when its sources changed; 1 when it did. Without Vite (a
 * production install, `npm ci --omit=dev`) an existing bundle is kept, and a missing one is reported.
 */
function buildConsole() {
  if (!fs.existsSync(CONSOLE)) return 0;
  const index = path.join(dist, 'console', 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const sourcesAt = Math.max(
    newest(path.join(CONSOLE, 'src')),
    ...['index.html', 'vite.config.mjs'].map((f) => fs.statSync(path.join(CONSOLE, f)).mtimeMs),
  );
  if (built >= sourcesAt) return 0;
  // (vite's package exports do not include its bin script, so it is found by path.)
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!fs.existsSync(vite)) {
    if (!built)
      console.warn('dingo build: vite is not installed, so the web console (/console) is not built');
    return 0;
  }
  const run = spawnSync(
    process.execPath,
    [vite, 'build', '--config', path.join(CONSOLE, 'vite.config.mjs')],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (run.status !== 0) throw new Error(`dingo build: the console's Vite build failed (exit ${run.status})`);
  return 1;
}

/** Several processes may build at once (CLI runs, parallel starts): none may read a half-written file. */
function writeAtomically(file, content) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function removeStale(dir, keep) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) removeStale(full, keep);
    else if (full.endsWith('.js') && !keep.has(full)) {
      fs.rmSync(full);
      fs.rmSync(`${full}.map`, { force: true });
    }
  }
}

function linkAliases() {
  const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
  for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
    const dir = path.join(dist, 'node_modules', alias);
    const main = path.relative(dir, path.join(dist, target.replace(/\.ts$/, '.js')));
    const manifest = JSON.stringify({ name: alias, private: true, main }, null, 2) + '\n';
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === manifest) continue;
    fs.mkdirSync(dir, { recursive: true });
    writeAtomically(file, manifest);
  }
}

module.exports = { build };

if (require.main === module) {
  const started = Date.now();
  const compiled = build();
  if (compiled > 0 || process.argv.includes('--verbose'))
    console.log(`dingo build: ${compiled} file(s) compiled to dist/ in ${Date.now() - started} ms`);
}
