// Small helpers shared by the benchmarks: order statistics, child processes with a time limit, formatting.
'use strict';

const { execFile } = require('node:child_process');
const path = require('node:path');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `node bench/<script> ...args` and parses the JSON line it prints; `{ timedOut: true }` past the limit. */
function child(script, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', path.join(__dirname, '..', script), ...args.map(String)],
      { timeout: timeoutMs, maxBuffer: 16 * 1048576, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error && error.killed) return resolve({ timedOut: true, limitMs: timeoutMs });
        if (error) return reject(new Error(`${script} ${args.join(' ')} failed: ${stderr || error.message}`));
        const line = stdout.trim().split('\n').pop();
        resolve(JSON.parse(line));
      },
    );
  });
}

const fmt = (value, digits = 0) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));

module.exports = { median, percentile, child, fmt };
