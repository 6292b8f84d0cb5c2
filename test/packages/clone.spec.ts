// The bins in a clone after `npm ci` and `npm run build`: npx finds ours, never the registry's; before the
// build, each says in one line what to run; and the README's "Try it" block runs the build before them.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGES, root } from './project';

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

describe('a clone before its build', () => {
  it.each([
    ['connectly', 'packages/cli/bin/connectly.js'],
    ['connectly-mock', 'packages/mock-server/bin/connectly-mock.js'],
  ])('%s says in one line to run npm run build', async (name, bin) => {
    // The committed bin file, beside no dist/: a package of a clone right after `npm ci`.
    const folder = mkdtempSync(join(tmpdir(), 'connectly-unbuilt-'));
    try {
      copyFileSync(join(root, bin), join(folder, 'bin.js'));
      const failure = await run(process.execPath, [join(folder, 'bin.js'), '--help'], { timeout: 30_000 }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toBe(
        `${name}: not compiled yet: run \`npm run build\` at the root of the repository first\n`,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('the README\'s "Try it" runs the build after npm ci and before any command that needs it', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /## Try it\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = block.split('\n').map((line) => line.replace(/#.*/, '').trim());
    const at = (pattern: RegExp): number => commands.findIndex((command) => pattern.test(command));
    expect(at(/^npm ci$/)).toBe(0);
    const build = at(/^npm run build$/);
    expect(build).toBeGreaterThan(0);
    expect(at(/^npx connectly/)).toBeGreaterThan(build);
  });
});

describe('the install commands of every README', () => {
  // Nothing is on the npm registry yet: a README that installs one of the packages by name fails for everyone.
  const names = PACKAGES;
  const readmes = [
    'README.md',
    'nest-module/README.md',
    'packages/agent-graph/README.md',
    'packages/mock-server/README.md',
    'packages/cli/README.md',
    'packages/session-redis/README.md',
  ];

  it.each(readmes)('%s installs the packages from their tarballs only', (readme) => {
    const text = readFileSync(join(root, readme), 'utf8');
    const installs = text.split('\n').filter((line) => /npm install\b/.test(line));
    const byName = installs.flatMap((line) =>
      line
        .split(/[\s`]+/)
        .filter((word) => names.includes(word.replace(/@[^/]*$/, '')))
        .map((word) => `${word} in: ${line.trim()}`),
    );
    expect(byName).toEqual([]);
  });
});
