// The Connectly Trigger in a real n8n (`n8n start`, the packed package installed as a community package):
// activation registers the workflow's production webhook at the mock, the mock's signed deliveries run it,
// forged or repeated ones and the workflow's own echoes do not, and deactivation removes the registration.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectlyMessagingClient, markAutomated } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { freePort, installCommunityPackage, installN8n, n8nEnvironment } from '../../support/n8n';
import { type ExecutionItem, type ServedN8n, serveN8n } from '../../support/n8n-server';

const KEY = 'n8n-trigger-e2e-key-DISTINCTIVE-7730';
const SECRET = 'trigger-e2e-webhook-secret';
const CUSTOMER = '+15551239876';
const CREDENTIAL = { id: 'credMessagingMock', name: 'Connectly Messaging (mock)' };
const WORKFLOW_ID = 'connectlyTrigWf01';
const WEBHOOK_ID = '7d1f3c52-connectly-trigger-e2e';

let work: string;
let env: NodeJS.ProcessEnv;
let n8nBin: string;
let base: string;
let served: ServedN8n;
let mock: MockConnectlyServer;
let connectly: ConnectlyMessagingClient;

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

const waitFor = <T>(probe: () => Promise<T | undefined>, what: string) => served.waitFor(probe, what);

interface Execution {
  status: string;
  mode: string;
  /** The trigger's outputs: Customer, Human Agent, Delivery Status. */
  outputs: ExecutionItem[][];
}

/** The workflow's executions, oldest first, with the trigger's output items. */
const executions = async (): Promise<Execution[]> =>
  (await served.executions(WORKFLOW_ID)).map(({ status, mode, nodes }) => ({
    status,
    mode,
    outputs: nodes['Connectly Trigger'] ?? [],
  }));

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

  served = await serveN8n(n8nBin, env, work);
}, 1_800_000);

afterAll(async () => {
  await served?.stop();
  await mock?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('the Connectly Trigger in n8n 2.41', () => {
  const productionUrl = () => `${base}/webhook/${WEBHOOK_ID}/webhook`;

  it("activation registers the workflow's production webhook at Connectly, with echo on", async () => {
    const published = await served.api('POST', `/workflows/${WORKFLOW_ID}/activate`);
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
    const hi = mock.messaging.deliveries.find((d) => JSON.parse(d.body).message?.text === 'Hi');
    expect(customer?.map((item) => item.json)).toEqual([
      {
        kind: 'message',
        clientKey: CUSTOMER,
        text: 'Hi',
        customer: { id: CUSTOMER, name: 'Ana', phone: CUSTOMER },
        timestamp: expect.any(String),
        inputEvents: [{ messageEvent: { role: 'USER', content: { textContent: { text: 'Hi' } } } }],
        // The delivery's signature, which its redeliveries repeat: Shared State acts on it once.
        deliveryId: hi?.signature,
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
    const unpublished = await served.api('POST', `/workflows/${WORKFLOW_ID}/deactivate`);
    expect(unpublished.status).toBe(200);
    await waitFor(async () => (registrations().length ? undefined : true), 'the registration to go');
    expect(registrations()).toEqual([]);
  }, 120_000);
});
