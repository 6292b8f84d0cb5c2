// An empty npm project in a temporary folder, with our tarballs and registry packages installed into it.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Asynchronous, so that a server in the test's own process keeps answering while a child talks to it.
const run = promisify(execFile);

export const root = join(__dirname, '..', '..');
export const packed = join(root, 'dist-packages');
/** Every package of the repository, by its npm name. */
export const PACKAGES = [
  'connectly-agent-graph',
  'connectly-agent-graph-mock',
  'connectly-cli',
  'connectly-session-redis',
  'nestjs-connectly',
  'n8n-nodes-connectly',
];
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Packs every package into dist-packages/ (which builds first), as `npm run pack` does. */
export function packAll(): void {
  execFileSync(process.execPath, [join(root, 'scripts', 'pack.mjs')], { cwd: root, stdio: 'ignore', timeout: 300_000 });
}

/** The tarball of one of our packages, by package name. */
export function tarball(name: string): string {
  const file = readdirSync(packed).find((f) => new RegExp(`^${name}-\\d+\\.\\d+\\.\\d+\\.tgz$`).test(f));
  if (!file) throw new Error(`no tarball for ${name} in ${packed}`);
  return join(packed, file);
}

export class Project {
  readonly dir = mkdtempSync(join(tmpdir(), 'connectly-probe-'));

  /** Installs our packages from their tarballs only, and third-party ones (`name@version`) from npm. */
  constructor(ours: string[], registry: string[] = []) {
    writeFileSync(join(this.dir, 'package.json'), JSON.stringify({ name: 'probe', private: true }));
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-exact', ...ours.map(tarball), ...registry],
      { cwd: this.dir, stdio: 'pipe', timeout: 300_000 },
    );
  }

  write(file: string, text: string): string {
    const path = join(this.dir, file);
    writeFileSync(path, text);
    return path;
  }

  /** Runs node on a file of the project; resolves with its stdout. */
  async node(file: string, env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await run(process.execPath, [file], {
      cwd: this.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...env },
    });
    return stdout;
  }

  /** Runs an installed bin through `npx --no` (which never falls back to the registry). */
  async npx(args: string[], env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await run('npx', ['--no', '--', ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...env },
    });
    return stdout;
  }

  /** Starts an installed bin from node_modules/.bin; resolves with the first match of `pattern` on stdout. */
  async spawnUntil(args: string[], pattern: RegExp): Promise<{ match: RegExpExecArray; stop: () => Promise<void> }> {
    const [bin = '', ...rest] = args;
    const child = spawn(join(this.dir, 'node_modules', '.bin', bin), rest, { cwd: this.dir });
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    };
    let output = '';
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        const found = pattern.exec(output);
        if (found) resolve(found);
      });
      child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before printing ${pattern}`)));
    }).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    return { match, stop };
  }

  /** Type-checks the project's TypeScript files with its own node_modules (no @types/node unless installed). */
  typecheck(compilerOptions: Record<string, unknown>, files: string[]): void {
    this.write(
      'tsconfig.json',
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, ...compilerOptions },
        files,
      }),
    );
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
        cwd: this.dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
    } catch (error) {
      throw new Error(`tsc failed in ${this.dir}:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
