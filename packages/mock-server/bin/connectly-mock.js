#!/usr/bin/env node
// The connectly-mock command. A committed file, so that `npm ci` in a clone links it before the build; until
// the build has run, it says so in one line instead of failing with MODULE_NOT_FOUND.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'bin.js');
if (existsSync(compiled)) require(compiled);
else {
  process.stderr.write('connectly-mock: not compiled yet: run `npm run build` at the root of the repository first\n');
  process.exitCode = 1;
}
