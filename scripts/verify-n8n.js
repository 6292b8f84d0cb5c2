// `npm run verify:n8n`: n8n's own verification scanner, offline, on the repository and on the packed package.
'use strict';

const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// n8n's scan of a published package lints the attested source with SOURCE_FILE_PATTERNS and the
// downloaded tarball with these patterns (see analyzePackageByName in the scanner); only the download
// and the provenance look-up, which need the registry, are left out here.
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

/** The error count of a scan: the scanner reports violations as ESLint's stylish text only. */
function errorCount(result) {
  if (result.passed) return 0;
  const summary = /\((\d+) errors?, \d+ warnings?\)/.exec(result.details ?? '');
  return summary ? Number(summary[1]) : undefined;
}

function pack(work) {
  if (!existsSync(path.join(root, 'dist/nodes/Connectly/Connectly.node.js'))) {
    throw new Error('dist/ has no n8n node: run `npm run build` first (`npm run verify:n8n` does)');
  }
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
  );
  const unpacked = path.join(work, 'package');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', path.join(work, filename), '-C', unpacked, '--strip-components=1']);
  return unpacked;
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'n8n-verify-'));
  // The scanner creates a temporary folder as it loads; inside ours, it is removed with it.
  process.env.TMPDIR = work;
  try {
    const { analyzePackage, SOURCE_FILE_PATTERNS } = await import('@n8n/scan-community-package/scanner/scanner.mjs');
    const legs = [
      { name: 'source', dir: root, patterns: SOURCE_FILE_PATTERNS },
      { name: 'tarball', dir: pack(work), patterns: TARBALL_FILE_PATTERNS },
    ];
    let failed = false;
    for (const leg of legs) {
      const result = await analyzePackage(leg.dir, leg.patterns);
      // "No files found" counts as a pass in the scanner; here it means the leg looked at the wrong folder.
      const empty = result.message === 'No files found to analyze';
      const errors = errorCount(result);
      const ok = result.passed && !empty;
      failed ||= !ok;
      console.log(`${leg.name} leg (${leg.patterns.join(', ')}): ${errors ?? 'unknown'} errors`);
      if (!ok) console.log(`${result.message}\n${result.details ?? ''}`);
    }
    console.log(failed ? 'n8n verification: FAILED' : 'n8n verification: passed');
    process.exitCode = failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
