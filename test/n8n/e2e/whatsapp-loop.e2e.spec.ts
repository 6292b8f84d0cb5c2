// The WhatsApp loop in a real n8n: examples/n8n/whatsapp-agent.json imported and published in `n8n start`
// against the mock (the package installed from its tarball), a scripted customer talking to it, the
// agent's replies (to text and to a photo) sent back through the Message API, a handover that holds
// until the release webhook (or a teammate's agreed phrase in Connectly's inbox), a teammate's reply reaching
// the agent, each run saying what it did; once more with Connectly's deliveries duplicated and reordered.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectlyMessagingClient } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  type CredentialRef,
  type Recorder,
  example,
  freePort,
  installCommunityPackage,
  installN8n,
  n8nCli,
  n8nEnvironment,
  recordPosts,
} from '../../support/n8n';
import { type ServedN8n, serveN8n } from '../../support/n8n-server';
import { festiveGiftMessages } from '../../support/whatsapp';

const KEY = 'n8n-loop-e2e-key-DISTINCTIVE-4417';
const SECRET = 'loop-e2e-webhook-secret';
const RELEASE_HEADER = { name: 'x-release-key', value: 'loop-e2e-release-secret' };
const CUSTOMER = '+15557654321';
const WORKFLOW = 'connectlyWhatsApp1';
const CHAOS_WORKFLOW = 'connectlyWhatsChs1';
const WEBHOOK_ID = '3f6d2b8e-4c1a-4e7b-9a0d-whatsapp-agent';

/** The messaging and agent credentials of one mock Connectly. */
interface Account {
  mock: MockConnectlyServer;
  messaging: CredentialRef;
  agent: CredentialRef;
}

let work: string;
let n8n: ServedN8n;
let calm: Account;
let chaotic: Account;
let slack: Recorder;
const release: CredentialRef = { id: 'credReleaseKey01', name: 'Release key' };

async function account(name: string, chaos: boolean): Promise<Account & { baseUrl: string }> {
  const mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: 'biz',
    messaging: { webhookSecret: SECRET, timeScale: 0.01, ...(chaos ? { chaos: { seed: 7, duplicateRate: 0.5 } } : {}) },
  });
  const baseUrl = await mock.start();
  return {
    mock,
    baseUrl,
    messaging: { id: `credMsg${name}`.padEnd(16, '0'), name: `Connectly Messaging (${name})` },
    agent: { id: `credAgt${name}`.padEnd(16, '0'), name: `Connectly (${name})` },
  };
}

/** The example bound to `account`, posting its Slack notifications to the recorder. */
function workflow(id: string, { messaging, agent }: Account, webhookId: string, releasePath: string) {
  return example('whatsapp-agent.json', id, agent, (node) => {
    const credentials = node.credentials ?? {};
    if (credentials['connectlyMessagingApi']) credentials['connectlyMessagingApi'] = messaging;
    if (credentials['httpHeaderAuth']) credentials['httpHeaderAuth'] = release;
    if (node.name === 'Connectly Trigger') Object.assign(node, { webhookId });
    if (node.name === 'Release request') node.parameters['path'] = releasePath;
    if (node.name === 'Notify a human on Slack' || node.name === 'Tell the team what the customer wrote') {
      node.parameters['url'] = slack.url;
    }
  });
}

/** The turns the agent took for one customer: the input events of each invoke, in order. */
function turnsOf({ mock }: Account, clientKey: string): unknown[][] {
  return mock.requests
    .filter((request) => request.endpoint === 'invoke')
    .map((request) => request.body as { sessionId: string; inputEvents: unknown[] })
    .filter((body) => mock.sessions.get(body.sessionId)?.clientKey === clientKey)
    .map((body) => body.inputEvents);
}

const user = (text: string) => ({ messageEvent: { role: 'USER', content: { textContent: { text } } } });
const assistant = (text: string) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } });

/** The workflow's executions the trigger started, once `count` of them have finished. */
const triggeredRuns = (workflowId: string, count: number) =>
  n8n.waitFor(async () => {
    const runs = (await n8n.executions(workflowId)).filter((run) => run.nodes['Connectly Trigger']);
    return runs.length >= count && runs.every((run) => run.status !== 'running' && run.status !== 'new')
      ? runs
      : undefined;
  }, `${count} executions of ${workflowId}`);

const registrations = ({ mock }: Account) =>
  [...mock.messaging.webhooks.values()].map(({ topic, address, configuration }) => ({
    topic,
    address,
    echo: configuration['echo'],
  }));

/** Resolves once every delivery the mock made so far has been answered (or given up). */
const deliveriesSettled = ({ mock }: Account) =>
  n8n.waitFor(
    async () => (mock.messaging.deliveries.every((d) => d.outcome !== 'pending') ? true : undefined),
    'the deliveries to settle',
  );

beforeAll(async () => {
  const install = installN8n();
  work = mkdtempSync(join(tmpdir(), 'connectly-loop-e2e-'));
  const home = join(work, 'home');
  const port = await freePort();
  const env = {
    ...n8nEnvironment(install, home, 'connectly-loop-e2e-key-0123456789'),
    N8N_PORT: String(port),
    N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    // The address n8n gives Connectly: the mocks deliver to it on 127.0.0.1.
    WEBHOOK_URL: `http://127.0.0.1:${port}/`,
    DB_TYPE: 'sqlite',
  };
  installCommunityPackage(home, work, env);
  slack = await recordPosts();
  const [first, second] = await Promise.all([account('Calm', false), account('Chaos', true)]);
  calm = first;
  chaotic = second;

  const data = (baseUrl: string) => ({ apiKey: KEY, businessId: 'biz', baseUrl });
  writeFileSync(
    join(work, 'credentials.json'),
    JSON.stringify([
      ...[first, second].flatMap(({ messaging, agent, baseUrl }) => [
        { ...messaging, type: 'connectlyMessagingApi', data: { ...data(baseUrl), webhookSecret: SECRET } },
        { ...agent, type: 'connectlyApi', data: data(baseUrl) },
      ]),
      { ...release, type: 'httpHeaderAuth', data: RELEASE_HEADER },
    ]),
  );
  await n8nCli(install.bin, env, work, ['import:credentials', '--input=credentials.json']);
  writeFileSync(
    join(work, 'workflows.json'),
    JSON.stringify([
      workflow(WORKFLOW, calm, WEBHOOK_ID, 'connectly-release'),
      workflow(CHAOS_WORKFLOW, chaotic, `${WEBHOOK_ID}-chaos`, 'connectly-release-chaos'),
    ]),
  );
  await n8nCli(install.bin, env, work, ['import:workflow', '--input=workflows.json']);
  n8n = await serveN8n(install.bin, env, work);
}, 1_800_000);

afterAll(async () => {
  await n8n?.stop();
  await Promise.all([calm?.mock.stop(), chaotic?.mock.stop(), slack?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('the WhatsApp example workflow in n8n 2.41', () => {
  const ana = () => calm.mock.customer(CUSTOMER, { name: 'Ana' });

  it("publishing it registers n8n's production webhook URL at Connectly", async () => {
    expect((await n8n.api('POST', `/workflows/${WORKFLOW}/activate`)).status).toBe(200);
    // n8n answers before it has activated the workflow: the trigger's webhook methods run just after.
    await n8n.waitFor(async () => (registrations(calm).length ? true : undefined), 'the registration');
    expect(registrations(calm)).toEqual([
      { topic: 'messages', address: `${n8n.base}/webhook/${WEBHOOK_ID}/webhook`, echo: true },
    ]);
  }, 120_000);

  it('answers "I want a festive gift" on WhatsApp: text, then products, then suggestions, each marked as automated', async () => {
    const delivery = await ana().says('I want a festive gift');
    expect(delivery.attempts.map((a) => a.status)).toEqual([200]);
    const [run] = await triggeredRuns(WORKFLOW, 1);
    expect(run?.status).toBe('success');
    const received = await ana().waitForMessages(3, 60_000);
    expect(received.map((sent) => sent.message)).toEqual(festiveGiftMessages());
    expect(received.map((sent) => sent.callbackData)).toEqual(received.map(() => ({ connectlySentBy: 'automation' })));
    expect(turnsOf(calm, CUSTOMER)).toEqual([[user('I want a festive gift')]]);
    // The echoes of those sends come back (echo is on) and start nothing.
    await deliveriesSettled(calm);
    expect(await triggeredRuns(WORKFLOW, 1)).toHaveLength(1);
  }, 180_000);

  it('a tap on a suggestion button reaches the agent as the whole question', async () => {
    const sentBefore = ana().received.length;
    await ana().taps('sugg:1');
    const runs = await triggeredRuns(WORKFLOW, 2);
    expect(runs[1]?.nodes['Connectly Trigger']?.[0]?.map((item) => item.json['text'])).toEqual([
      'What is your return…',
    ]);
    expect(turnsOf(calm, CUSTOMER).at(-1)).toEqual([user('What is your return policy?')]);
    await ana().waitForMessages(sentBefore + 1, 60_000);
  }, 120_000);

  it('a tampered signature and a redelivery start no execution', async () => {
    const first = calm.mock.messaging.deliveries.find(
      (d) => JSON.parse(d.body).message?.text === 'I want a festive gift',
    );
    if (!first) throw new Error('the first delivery is missing');
    const tampered = await fetch(first.address, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-connectly-hmac-sha256': first.signature },
      body: first.body.replace('festive gift', 'free gift!!!'),
    });
    expect(tampered.status).toBe(401);
    const again = await calm.mock.messaging.redeliver(first).settled;
    expect(again.attempts.map((a) => a.status)).toEqual([200]);
    expect(await triggeredRuns(WORKFLOW, 2)).toHaveLength(2);
    expect(turnsOf(calm, CUSTOMER)).toHaveLength(2);
  }, 120_000);

  it('"Can I talk to a human?" reaches the Handover branch: the agent\'s answer goes out, a person is notified', async () => {
    const sentBefore = ana().received.length;
    await ana().says('Can I talk to a human?');
    const runs = await triggeredRuns(WORKFLOW, 3);
    // The barrier above also shows that neither the forged delivery nor the redelivery ran anything.
    expect(runs).toHaveLength(3);
    expect(runs[2]?.nodes['Ask the agent']?.[1]?.map((item) => item.json)).toEqual([
      expect.objectContaining({
        type: 'agentHandoverEvent',
        clientKey: CUSTOMER,
        reason: 'The customer asked to talk to a human.',
        held: true,
      }),
    ]);
    await ana().waitForMessages(sentBefore + 1, 60_000);
    expect(
      ana()
        .received.slice(sentBefore)
        .map((sent) => sent.message),
    ).toEqual([{ text: "Of course: I'm connecting you with a teammate now. They'll see this conversation." }]);
    expect(slack.received).toEqual([
      {
        text: expect.stringMatching(
          new RegExp(
            `^WhatsApp customer \\${CUSTOMER} needs a person: The customer asked to talk to a human\\.\nAnswer them from Connectly's inbox\\. When you are done: <${n8n.base}/form-waiting/${runs[2]?.id}\\?signature=[^|]+\\|Give the conversation back to the AI agent>$`,
          ),
        ),
      },
    ]);
    // The run waits for the hand-back: the Executions list tells it apart from the replies.
    expect(runs[2]?.status).toBe('waiting');
  }, 120_000);

  it("the customer's next message stays with the person: the Handover branch again, and no turn of the agent", async () => {
    const turns = turnsOf(calm, CUSTOMER).length;
    const sentBefore = ana().received.length;
    await ana().says('It is for my sister');
    const runs = await triggeredRuns(WORKFLOW, 4);
    const held = runs[3]?.nodes['Ask the agent'];
    expect(held?.[0] ?? []).toEqual([]);
    expect(held?.[1]?.map((item) => item.json)).toEqual([
      expect.objectContaining({ clientKey: CUSTOMER, text: 'It is for my sister', held: true, pendingEvents: 1 }),
    ]);
    expect(slack.received.at(-1)).toEqual({
      text: `WhatsApp customer ${CUSTOMER} wrote while a person has the conversation: It is for my sister`,
    });
    expect(turnsOf(calm, CUSTOMER)).toHaveLength(turns);
    expect(ana().received).toHaveLength(sentBefore);
  }, 120_000);

  it("a person's reply from Connectly's inbox is recorded for the agent", async () => {
    // A teammate writes from the inbox: Connectly echoes it without the automation mark.
    const inbox = new ConnectlyMessagingClient({ apiKey: KEY, businessId: 'biz', baseUrl: calm.mock.url });
    await inbox.sendMessage({ to: CUSTOMER, message: { text: 'Hi Ana, Sam here. Gift wrap is free!' } });
    const runs = await triggeredRuns(WORKFLOW, 5);
    expect(runs[4]?.status).toBe('success');
    expect(runs[4]?.nodes["Record the human's reply"]?.[0]?.map((item) => item.json)).toEqual([
      expect.objectContaining({ clientKey: CUSTOMER, recorded: true, held: true, pendingEvents: 2 }),
    ]);
    expect(runs[4]?.nodes['Ask the agent']).toBeUndefined();
  }, 120_000);

  it('the release webhook gives the conversation back: the next turn holds what was said meanwhile, in order', async () => {
    const refused = await fetch(`${n8n.base}/webhook/connectly-release`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientKey: CUSTOMER }),
    });
    expect(refused.status).toBe(403);
    const released = await fetch(`${n8n.base}/webhook/connectly-release`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [RELEASE_HEADER.name]: RELEASE_HEADER.value },
      body: JSON.stringify({ clientKey: CUSTOMER }),
    });
    expect(released.status).toBe(200);
    expect(await released.json()).toEqual({ clientKey: CUSTOMER, released: true, pendingEvents: 2, sentEvents: 0 });

    const sentBefore = ana().received.length;
    await ana().says('Thanks, that helps');
    await triggeredRuns(WORKFLOW, 6);
    expect(turnsOf(calm, CUSTOMER).at(-1)).toEqual([
      user('It is for my sister'),
      assistant('Hi Ana, Sam here. Gift wrap is free!'),
      user('Thanks, that helps'),
    ]);
    await ana().waitForMessages(sentBefore + 1, 60_000);
  }, 120_000);

  it('a photo reaches the agent as an image, and its answer goes back', async () => {
    const photo = 'https://cdn.example.com/photos/scarf.jpg';
    const sentBefore = ana().received.length;
    await ana().sendsMedia('image', photo);
    await triggeredRuns(WORKFLOW, 7);
    expect(turnsOf(calm, CUSTOMER).at(-1)).toEqual([
      { messageEvent: { role: 'USER', content: { imageContent: { url: photo } } } },
    ]);
    const received = await ana().waitForMessages(sentBefore + 1, 60_000);
    expect(received.slice(sentBefore).map((sent) => sent.message)).toEqual([
      { text: 'Thanks for the picture! Let me find something similar.' },
    ]);
  }, 120_000);

  it("a teammate ending with the agreed phrase in Connectly's inbox gives the conversation back", async () => {
    const before = (await triggeredRuns(WORKFLOW, 7)).length;
    await ana().says('Can I talk to a human?');
    await triggeredRuns(WORKFLOW, before + 1);
    const inbox = new ConnectlyMessagingClient({ apiKey: KEY, businessId: 'biz', baseUrl: calm.mock.url });
    await inbox.sendMessage({ to: CUSTOMER, message: { text: 'Sorted! Our assistant will take it from here.' } });
    const runs = await triggeredRuns(WORKFLOW, before + 2);
    expect(runs.at(-1)?.nodes['Give it back from the inbox']?.[0]?.map((item) => item.json)).toEqual([
      { clientKey: CUSTOMER, released: true, pendingEvents: 1, sentEvents: 0 },
    ]);
    const sentBefore = ana().received.length;
    await ana().says('Thanks!');
    await triggeredRuns(WORKFLOW, before + 3);
    expect(turnsOf(calm, CUSTOMER).at(-1)).toEqual([
      assistant('Sorted! Our assistant will take it from here.'),
      user('Thanks!'),
    ]);
    await ana().waitForMessages(sentBefore + 1, 60_000);
  }, 180_000);

  it('each run says what it did: replies, handovers (waiting for the hand-back), held messages, teammates', async () => {
    const runs = await triggeredRuns(WORKFLOW, 10);
    expect(runs.map((run) => [run.status, run.customData['Connectly']])).toEqual([
      ['success', 'agent replied'],
      ['success', 'agent replied'],
      ['waiting', 'handed over to a person'],
      ['success', 'held for a person'],
      ['success', 'teammate replied'],
      ['success', 'agent replied'],
      ['success', 'agent replied'],
      ['waiting', 'handed over to a person'],
      ['success', 'handed back to the agent'],
      ['success', 'agent replied'],
    ]);
  }, 60_000);

  it('unpublishing it deletes the registration at Connectly', async () => {
    expect((await n8n.api('POST', `/workflows/${WORKFLOW}/deactivate`)).status).toBe(200);
    await n8n.waitFor(async () => (registrations(calm).length ? undefined : true), 'the registration to go');
    expect(registrations(calm)).toEqual([]);
  }, 120_000);

  it('with deliveries duplicated and reordered, no customer message is answered twice', async () => {
    expect((await n8n.api('POST', `/workflows/${CHAOS_WORKFLOW}/activate`)).status).toBe(200);
    await n8n.waitFor(async () => (registrations(chaotic).length ? true : undefined), 'the registration');
    // Two customers, each sending three messages at once; each message asks for a reply of its own.
    const said = ['I want a festive gift', 'Do you gift-wrap?', 'What is on the menu?'];
    const firstWords = [
      'Here are a few festive ideas she might love:',
      'Would you like gift wrapping?',
      'Here is what I can help with:',
    ];
    const customers = [chaotic.mock.customer('+15550001001'), chaotic.mock.customer('+15550001002')];
    await Promise.all(customers.flatMap((customer) => said.map((text) => customer.says(text))));
    await triggeredRuns(CHAOS_WORKFLOW, customers.length * said.length);
    await deliveriesSettled(chaotic);
    const copies = chaotic.mock.messaging.deliveries.filter(
      (d) => d.duplicateOf && !JSON.parse(d.body).message?.isEcho,
    );
    expect(copies.length).toBeGreaterThan(0);
    // A last message, answered after every copy was taken: an execution a copy started would be listed by now.
    const last = chaotic.mock.customer('+15550001003');
    await last.says('Hello there');
    await last.waitForMessages(1, 60_000);
    const runs = await triggeredRuns(CHAOS_WORKFLOW, customers.length * said.length + 1);
    expect(runs).toHaveLength(customers.length * said.length + 1);
    expect(runs.every((run) => run.status === 'success')).toBe(true);
    for (const customer of customers) {
      const turns = turnsOf(chaotic, customer.phone);
      expect(turns.map((inputEvents) => JSON.stringify(inputEvents)).sort()).toEqual(
        said.map((text) => JSON.stringify([user(text)])).sort(),
      );
      const texts = customer.received.map((sent) => sent.message['text']);
      for (const words of firstWords) expect(texts.filter((text) => text === words)).toHaveLength(1);
    }
    expect((await n8n.api('POST', `/workflows/${CHAOS_WORKFLOW}/deactivate`)).status).toBe(200);
    await n8n.waitFor(async () => (registrations(chaotic).length ? undefined : true), 'the registration to go');
  }, 240_000);
});
