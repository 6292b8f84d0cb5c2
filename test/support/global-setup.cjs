// Runs once before all jest projects: builds the workspace (incrementally), so the packaging tests
// load the real dist output without racing each other to build it.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = function buildOnce() {
  const root = join(__dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], {
    cwd: root,
    stdio: 'inherit',
    timeout: 300_000,
  });
};
