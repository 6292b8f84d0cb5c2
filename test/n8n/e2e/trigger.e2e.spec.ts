// The Connectly Trigger in a real n8n (`n8n start`, the packed package installed as a community package):
// activation registers the workflow's production webhook at the mock, the mock's signed deliveries run it,
// forged or repeated ones and the workflow's own echoes do not, and deactivation removes the registration.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectlyMessagingClient, markAutomated } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { freePort, installCommunityPackage, installN8n, n8nEnvironment, stopN8n } from '../../support/n8n';

const KEY = 'n8n-trigger-e2e-key-DISTINCTIVE-7730';
const SECRET = 'trigger-e2e-webhook-secret';
const CUSTOMER = '+15551239876';
const CREDENTIAL = { id: 'credMessagingMock', name: 'Connectly Messaging (mock)' };
const WORKFLOW_ID = 'connectlyTrigWf01';
const WEBHOOK_ID = '7d1f3c52-connectly-trigger-e2e';
const OWNER = { email: 'owner@example.com', firstName: 'Trigger', lastName: 'Owner', password: 'Trigger-e2e-Passw0rd' };

let work: string;
let env: NodeJS.ProcessEnv;
let n8nBin: string;
let base: string;
let server: ChildProcess;
let apiKey: string;
let mock: MockConnectlyServer;
let connectly: ConnectlyMessagingClient;
// What `n8n start` printed, shown when a test fails.
let log = '';

function n8n(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      n8nBin,
      args,
      { env, cwd: work, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1048576 },
      (error, stdout, stderr) => resolve({ code: error ? 1 : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

/** Polls `probe` every 500 ms until it returns something, for at most `ms`. */
async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what} after ${ms} ms; n8n said:\n${log.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** n8n's public API, with the key the suite created. */
async function api(method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'x-n8n-api-key': apiKey, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

interface Item {
  json: Record<string, unknown>;
}
interface Execution {
  id: string;
  status: string;
  mode: string;
  /** The trigger's outputs: Customer, Human Agent, Delivery Status. */
  outputs: Item[][];
}

/** The workflow's executions, oldest first, with the trigger's output items. */
async function executions(): Promise<Execution[]> {
  const { body } = await api('GET', `/executions?workflowId=${WORKFLOW_ID}&includeData=true&limit=250`);
  const list = (body['data'] ?? []) as Array<{
    id: string;
    status: string;
    mode: string;
    data?: { resultData?: { runData?: Record<string, Array<{ data?: { main: Item[][] } }>> } };
  }>;
  return list
    .map(({ id, status, mode, data }) => ({
      id,
      status,
      mode,
      outputs: data?.resultData?.runData?.['Connectly Trigger']?.[0]?.data?.main ?? [],
    }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

/** Waits until the workflow has `count` finished executions, and returns them. */
const executionsReach = (count: number) =>
  waitFor(async () => {
    const found = await executions();
    return found.length >= count && found.every((e) => e.status !== 'running' && e.status !== 'new')
      ? found
      : undefined;
  }, `${count} executions`);

const registrations = () =>
  [...mock.messaging.webhooks.values()].map(({ topic, address, configuration }) => ({
    topic,
    address,
    echo: configuration['echo'],
  }));

beforeAll(async () => {
  const install = installN8n();
  n8nBin = install.bin;
  work = mkdtempSync(join(tmpdir(), 'connectly-trigger-e2e-'));
  const home = join(work, 'home');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    ...n8nEnvironment(install, home, 'connectly-trigger-e2e-key-0123456789'),
    N8N_PORT: String(port),
    N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    // The address n8n gives Connectly: the mock delivers to it on 127.0.0.1.
    WEBHOOK_URL: `${base}/`,
    DB_TYPE: 'sqlite',
  };
  installCommunityPackage(home, work, env);

  mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: 'biz',
    messaging: { webhookSecret: SECRET, timeScale: 0.01 },
  });
  const baseUrl = await mock.start();
  connectly = new ConnectlyMessagingClient({ apiKey: KEY, businessId: 'biz', baseUrl });
  writeFileSync(
    join(work, 'credentials.json'),
    JSON.stringify([
      {
        ...CREDENTIAL,
        type: 'connectlyMessagingApi',
        data: { apiKey: KEY, businessId: 'biz', webhookSecret: SECRET, baseUrl },
      },
    ]),
  );
  const credentials = await n8n(['import:credentials', '--input=credentials.json']);
  if (credentials.code !== 0) throw new Error(`import:credentials failed:\n${credentials.output}`);
  const noOp = (name: string, y: number) => ({
    id: randomUUID(),
    name,
    type: 'n8n-nodes-base.noOp',
    typeVersion: 1,
    position: [300, y],
    parameters: {},
  });
  const workflow = {
    id: WORKFLOW_ID,
    name: 'Connectly Trigger e2e',
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      {
        id: randomUUID(),
        name: 'Connectly Trigger',
        type: 'n8n-nodes-connectly.connectlyTrigger',
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { deliveryStatuses: false, options: {} },
        credentials: { connectlyMessagingApi: CREDENTIAL },
      },
      noOp('Customer', -100),
      noOp('Human Agent', 100),
    ],
    connections: {
      'Connectly Trigger': {
        main: [[{ node: 'Customer', type: 'main', index: 0 }], [{ node: 'Human Agent', type: 'main', index: 0 }], []],
      },
    },
  };
  writeFileSync(join(work, 'workflow.json'), JSON.stringify([workflow]));
  const imported = await n8n(['import:workflow', '--input=workflow.json']);
  if (imported.code !== 0) throw new Error(`import:workflow failed:\n${imported.output}`);

  server = spawn(n8nBin, ['start'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await waitFor(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 'n8n start', 120_000);
  // /healthz answers before n8n's REST controllers are mounted: until then they answer 404.
  const mounted = (path: string, init: RequestInit) =>
    waitFor(
      async () => {
        const response = await fetch(`${base}/rest/${path}`, init);
        if (response.status === 404) return undefined;
        if (!response.ok) throw new Error(`${path} failed: ${response.status} ${await response.text()}`);
        return response;
      },
      `n8n's /rest/${path}`,
      120_000,
    );
  const setup = await mounted('owner/setup', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'browser-id': 'trigger-suite' },
    body: JSON.stringify(OWNER),
  });
  const cookie = (setup.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
  const created = await mounted('api-keys', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'browser-id': 'trigger-suite', cookie },
    body: JSON.stringify({
      label: 'trigger-e2e',
      expiresAt: null,
      scopes: [
        'workflow:read',
        'workflow:list',
        'workflow:activate',
        'workflow:deactivate',
        'execution:read',
        'execution:list',
      ],
    }),
  });
  apiKey = ((await created.json()) as { data: { rawApiKey: string } }).data.rawApiKey;
}, 1_800_000);

afterAll(async () => {
  await stopN8n(server);
  await mock?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('the Connectly Trigger in n8n 2.41', () => {
  const productionUrl = () => `${base}/webhook/${WEBHOOK_ID}/webhook`;

  it("activation registers the workflow's production webhook at Connectly, with echo on", async () => {
    const published = await api('POST', `/workflows/${WORKFLOW_ID}/activate`);
    expect(published.status).toBe(200);
    // n8n answers before it has activated the workflow: its webhook methods run just after.
    await waitFor(async () => (registrations().length ? true : undefined), 'the registration');
    expect(registrations()).toEqual([{ topic: 'messages', address: productionUrl(), echo: true }]);
  }, 120_000);

  it("a customer's message runs the workflow: one execution, the message on the Customer output", async () => {
    const delivery = await mock.customer(CUSTOMER, { name: 'Ana' }).says('Hi');
    expect(delivery.outcome).toBe('delivered');
    expect(delivery.attempts.map((a) => a.status)).toEqual([200]);
    const [run] = await executionsReach(1);
    expect(run?.status).toBe('success');
    expect(run?.mode).toBe('webhook');
    const [customer, human] = run?.outputs ?? [];
    expect(human ?? []).toEqual([]);
    expect(customer?.map((item) => item.json)).toEqual([
      {
        kind: 'message',
        clientKey: CUSTOMER,
        text: 'Hi',
        customer: { id: CUSTOMER, name: 'Ana', phone: CUSTOMER },
        timestamp: expect.any(String),
        inputEvents: [{ messageEvent: { role: 'USER', content: { textContent: { text: 'Hi' } } } }],
      },
    ]);
  }, 120_000);

  it("a tampered signature, a redelivery and the workflow's own echo start no execution; a person's echo does", async () => {
    const before = (await executions()).length;
    const first = mock.messaging.deliveries.find((d) => JSON.parse(d.body).message?.text === 'Hi');
    if (!first) throw new Error('the first delivery is missing');

    const tampered = await fetch(productionUrl(), {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-connectly-hmac-sha256': first.signature },
      body: first.body.replace('"Hi"', '"Pay me"'),
    });
    expect(tampered.status).toBe(401);
    const unsigned = await fetch(productionUrl(), {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: first.body,
    });
    expect(unsigned.status).toBe(401);

    const again = await mock.messaging.redeliver(first).settled;
    expect(again.attempts.map((a) => a.status)).toEqual([200]);

    const delivered = (count: number) =>
      waitFor(
        async () =>
          mock.messaging.deliveries.filter((d) => d.outcome !== 'pending').length >= count ? true : undefined,
        `${count} deliveries`,
      );
    let count = mock.messaging.deliveries.length;
    await connectly.sendMessage({ to: CUSTOMER, message: { text: 'From the bot' }, callbackData: markAutomated() });
    await delivered((count += 1));
    // A person answering from Connectly's inbox: no mark on the message.
    await connectly.sendMessage({ to: CUSTOMER, message: { text: 'This is Maria from support' } });
    await delivered((count += 1));
    expect(mock.messaging.deliveries.slice(-2).map((d) => d.attempts.map((a) => a.status))).toEqual([[200], [200]]);

    // Only the person's echo ran the workflow; had anything else started one, it would be here by now.
    await mock.customer(CUSTOMER).says('Are you still there?');
    const runs = await executionsReach(before + 2);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = (await executions()).slice(before);
    expect(after).toHaveLength(2);
    expect(after[0]?.outputs[1]?.map((item) => item.json)).toEqual([
      expect.objectContaining({
        kind: 'echo',
        sentBy: 'human',
        clientKey: CUSTOMER,
        text: 'This is Maria from support',
      }),
    ]);
    expect(after[0]?.outputs[0] ?? []).toEqual([]);
    expect(after[1]?.outputs[0]?.map((item) => item.json['text'])).toEqual(['Are you still there?']);
    expect(runs.every((run) => run.status === 'success')).toBe(true);
  }, 180_000);

  it('deactivation removes the registration', async () => {
    const unpublished = await api('POST', `/workflows/${WORKFLOW_ID}/deactivate`);
    expect(unpublished.status).toBe(200);
    await waitFor(async () => (registrations().length ? undefined : true), 'the registration to go');
    expect(registrations()).toEqual([]);
  }, 120_000);
});
