#!/usr/bin/env node
// The `connectly` executable.

import { run } from './main.js';

run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`connectly: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
