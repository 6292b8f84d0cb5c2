// Without redis-server, a test run that needs it stops at once with one line naming the package to install.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

describe('a test run on a machine without redis-server', () => {
  it('fails before any suite, in one line that names the Debian package', async () => {
    const missing = '/nonexistent/redis-server';
    const outcome = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
          'packages/session-redis/test/redis-session-store.spec.ts',
        ],
        { cwd: root, env: { ...process.env, REDIS_SERVER: missing }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = (error as { code?: unknown } | null)?.code;
          resolve({ code: error ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
        },
      );
    });
    expect(outcome).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `The session store tests need ${missing}: install Debian's redis-server package ` +
        '(sudo apt-get install redis-server), or set REDIS_SERVER to a redis-server elsewhere.\n',
    });
  }, 90_000);
});
