// Runs once before all jest projects: checks that redis-server is there when a test that needs it is
// selected (failing at once, in one line, when it is not), then builds the workspace (incrementally), so
// the packaging tests load the real dist output without racing each other to build it.
const { execFileSync } = require('node:child_process');
const { accessSync, constants } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');

// The suites that start a throwaway redis-server (packages/session-redis/test/redis-server.cjs).
const NEEDS_REDIS = {
  'session-redis': [
    'packages/session-redis/test/redis-session-store.spec.ts',
    'packages/session-redis/test/two-processes.spec.ts',
  ],
  readme: ['test/readme/snippets.spec.ts'],
  'nest-module': ['nest-module/test/sessions.e2e.spec.ts'],
};

/** Whether the run may reach a suite that needs redis-server: by the projects and path patterns selected. */
function needsRedis(globalConfig) {
  const projects = globalConfig?.selectProjects;
  const patterns = globalConfig?.testPathPatterns?.patterns ?? [];
  return Object.entries(NEEDS_REDIS).some(
    ([project, files]) =>
      (!projects || projects.includes(project)) &&
      files.some(
        (file) => patterns.length === 0 || patterns.some((pattern) => new RegExp(pattern, 'i').test(join(root, file))),
      ),
  );
}

module.exports = function setup(globalConfig) {
  if (needsRedis(globalConfig)) {
    const redisServer = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
    try {
      accessSync(redisServer, constants.X_OK);
    } catch {
      process.stderr.write(
        `The session store tests need ${redisServer}: install Debian's redis-server package (sudo apt-get install redis-server), or set REDIS_SERVER to a redis-server elsewhere.\n`,
      );
      process.exit(1);
    }
  }
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], {
    cwd: root,
    stdio: 'inherit',
    timeout: 300_000,
  });
};
