#!/usr/bin/env node
// `dingo` (npm bin, `npx dingo`): compiles what changed (scripts/build.js, incremental), then runs
// the compiled CLI, so a command starts without transpiling the sources every time.
const { join } = require('node:path');
const root = join(__dirname, '..', '..', '..');
require(join(root, 'scripts', 'build.js')).build();
require(join(root, 'dist', 'apps', 'cli', 'src', 'main.js'));
