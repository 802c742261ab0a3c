#!/usr/bin/env node
// `dingo` (npm bin, `npx dingo`): runs the TypeScript sources through SWC, with the repo's path aliases.
const { join } = require('node:path');
process.env.SWC_NODE_PROJECT =
  process.env.SWC_NODE_PROJECT || join(__dirname, '..', '..', '..', 'tsconfig.json');
require('@swc-node/register');
require('../src/main.ts');
