// The README's way into n8n, run as written: its install command puts the packed package (and nothing
// else) into n8n's nodes folder, its command-line steps create the credential and import the examples, every
// example in examples/n8n imports with `n8n import:workflow` bound to that credential, and the imported chat
// example, published in `n8n start`, answers through the installed node.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  type N8nInstall,
  freePort,
  installCommunityPackage,
  installN8n,
  n8nEnvironment,
  readmeBlock,
} from '../../support/n8n';
import { type ServedN8n, serveN8n } from '../../support/n8n-server';

const root = join(__dirname, '..', '..', '..');
const KEY = 'n8n-import-e2e-key-DISTINCTIVE-2291';
const HEADING = '### Install the n8n node';
const examples = readdirSync(join(root, 'examples', 'n8n')).filter((file) => file.endsWith('.json'));

let install: N8nInstall;
let work: string;
let home: string;
let env: NodeJS.ProcessEnv;
let mock: MockConnectlyServer;
let n8n: ServedN8n | undefined;

/** Runs a command in `work` (where `examples/` leads to the repository's) with n8n first on PATH. */
function sh(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { cwd: work, env, timeout: 300_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ code: error ? (typeof code === 'number' ? code : -1) : 0, stdout, stderr });
      },
    );
  });
}

function workflowOf(file: string): {
  id: string;
  name: string;
  nodes: Array<{ credentials?: Record<string, { id: string }> }>;
} {
  return JSON.parse(readFileSync(join(root, 'examples', 'n8n', file), 'utf8'));
}

beforeAll(async () => {
  install = installN8n();
  work = mkdtempSync(join(tmpdir(), 'connectly-import-e2e-'));
  home = join(work, 'home');
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz' });
  await mock.start();
  env = {
    ...n8nEnvironment(install, home, 'connectly-import-e2e-key-0123456789'),
    N8N_PORT: String(await freePort()),
    N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    DB_TYPE: 'sqlite',
  };
  env['PATH'] = `${dirname(install.bin)}:${env['PATH'] ?? ''}`;
  installCommunityPackage(home, work, env);
  symlinkSync(join(root, 'examples'), join(work, 'examples'));
  // The README's credential file, with what it says to fill in: a key, a business ID, and the mock's URL.
  const credentials = JSON.parse(
    readmeBlock(HEADING, 'json', 'From the command line')
      .replace('YOUR_API_KEY', KEY)
      .replace('YOUR_BUSINESS_ID', 'biz'),
  ) as Array<{ name: string; type: string; data: Record<string, string> }>;
  for (const credential of credentials) credential.data['baseUrl'] = mock.url;
  writeFileSync(join(work, 'connectly-credential.json'), JSON.stringify(credentials));
  // The WhatsApp example's other credential, in the same form.
  writeFileSync(
    join(work, 'connectly-messaging-credential.json'),
    JSON.stringify([
      {
        id: 'connectlyMsgCred1',
        name: 'Connectly Messaging account',
        type: 'connectlyMessagingApi',
        data: { apiKey: KEY, businessId: 'biz', baseUrl: mock.url, webhookSecret: 'import-e2e-secret' },
      },
    ]),
  );
}, 1_800_000);

afterAll(async () => {
  await n8n?.stop();
  await mock?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

describe("the README's n8n install command", () => {
  it('puts the one package into the nodes folder: no second n8n-workflow', () => {
    const installed = readdirSync(join(home, '.n8n', 'nodes', 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(installed).toEqual(['n8n-nodes-connectly']);
  });
});

describe('the examples, imported from the command line', () => {
  it("the README's commands create the credential and import an example", async () => {
    const { code, stdout, stderr } = await sh(readmeBlock(HEADING, 'sh', 'From the command line'));
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const chat = workflowOf('chat-with-connectly-agent.json');
    expect(stdout).toContain(`${chat.id}|${chat.name}`);
  }, 600_000);

  it.each(examples)(
    '%s imports with n8n import:workflow, is listed, and is bound to the credential by name',
    async (file) => {
      const { id, name } = workflowOf(file);
      expect(id).toMatch(/^[A-Za-z0-9]{16}$/);
      await sh('n8n import:credentials --input=connectly-messaging-credential.json');
      const imported = await sh(`n8n import:workflow --input=examples/n8n/${file}`);
      expect({ code: imported.code, stderr: imported.code === 0 ? '' : imported.stderr }).toEqual({
        code: 0,
        stderr: '',
      });
      expect((await sh('n8n list:workflow')).stdout.split('\n')).toContain(`${id}|${name}`);
      const exported = JSON.parse((await sh(`n8n export:workflow --id=${id}`)).stdout.trim()) as Array<
        ReturnType<typeof workflowOf>
      >;
      const bound = (exported[0]?.nodes.flatMap((node) => Object.entries(node.credentials ?? {})) ?? []).filter(
        ([type]) => type.startsWith('connectly'),
      );
      expect(bound.length).toBeGreaterThan(0);
      for (const [type, credential] of bound)
        expect({ type, id: credential.id }).toEqual({
          type,
          id: type === 'connectlyMessagingApi' ? 'connectlyMsgCred1' : 'connectlyCred001',
        });
    },
    600_000,
  );
});

describe('n8n with the package installed by the README command', () => {
  it('publishes the imported chat example, which answers through the Connectly node', async () => {
    const chat = workflowOf('chat-with-connectly-agent.json');
    n8n = await serveN8n(install.bin, env, work);
    expect((await n8n.api('POST', `/workflows/${chat.id}/activate`)).status).toBe(200);
    const answer = await n8n.waitFor(async () => {
      const response = await fetch(`${n8n?.base}/webhook/connectly-chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'I want a festive gift', customerId: 'customer-1' }),
      });
      return response.ok ? response.text() : undefined;
    }, 'the chat webhook to answer');
    expect(answer).toContain('Here are a few festive ideas');
  }, 600_000);
});
