// The bins in a clone after `npm ci` (which builds through `prepare`): npx finds ours, never the registry's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { root } from './project';

const run = promisify(execFile);

describe('the bins of a clone', () => {
  it("npx --no connectly --version runs this repository's CLI", async () => {
    const { stdout } = await run('npx', ['--no', '--', 'connectly', '--version'], { cwd: root, timeout: 60_000 });
    expect(stdout.trim()).toBe('0.1.0');
  });

  it("npx --no connectly-mock --help runs this repository's mock server", async () => {
    const { stdout } = await run('npx', ['--no', '--', 'connectly-mock', '--help'], { cwd: root, timeout: 60_000 });
    expect(stdout).toContain('Usage: connectly-mock');
  });
});
