#!/usr/bin/env node
// `npm start [-- <app>]`: compiles what changed since the last start (scripts/build.js, well under
// a second; in a child process so the compiler never sits in the server's memory), then runs the
// app's compiled main in this process, so signals reach it directly. Default app: gateway.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const APPS = ['gateway', 'metadata', 'sync-worker', 'mirror-edge'];
const app = process.argv[2] ?? 'gateway';
if (!APPS.includes(app)) {
  console.error(`unknown app "${app}"; one of: ${APPS.join(', ')}`);
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
const main = path.join(root, 'dist', 'apps', app, 'src', 'main.js');
if (!existsSync(main)) {
  console.error(`build produced no ${path.relative(root, main)}`);
  process.exit(1);
}
process.argv.splice(2, 1);
require(main);
