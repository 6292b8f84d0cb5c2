// The Connectly Trigger against the mock over HTTP: its webhook lifecycle at the mock's registry, and its
// webhook() receiving the mock's signed deliveries (and forged ones) through a real HTTP endpoint.
import { inspect } from 'node:util';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { ConnectlyMessagingClient, markAutomated, signWebhook } from 'connectly-agent-graph';
import { type IDataObject, NodeApiError, NodeOperationError } from 'n8n-workflow';
import { ConnectlyTrigger } from '../../nodes/ConnectlyTrigger/ConnectlyTrigger.node';
import { ConnectlyWhatsAppTrigger } from '../../nodes/ConnectlyWhatsAppTrigger/ConnectlyWhatsAppTrigger.node';
import { type ServedTrigger, TriggerUnderTest, serve } from './trigger-harness';
import { runNode } from './harness';
import { sendText } from './parameters';

const KEY = 'n8n-trigger-key-DISTINCTIVE-8841';
const SECRET = 'trigger-webhook-secret';
const CUSTOMER = '+15551230001';
let mock: MockConnectlyServer;
let credentials: { apiKey: string; businessId: string; baseUrl: string; webhookSecret: string };
let connectly: ConnectlyMessagingClient;
let nodeIds = 0;
// A delivery made now: its signed timestamp is within the accepted age.
const NOW_SECONDS = String(Math.floor(Date.now() / 1000));

beforeAll(async () => {
  mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: 'biz',
    messaging: { webhookSecret: SECRET, timeScale: 0.001 },
  });
  const baseUrl = await mock.start();
  credentials = { apiKey: KEY, businessId: 'biz', baseUrl, webhookSecret: SECRET };
  connectly = new ConnectlyMessagingClient({ apiKey: KEY, businessId: 'biz', baseUrl });
});
beforeEach(() => {
  mock.messaging.webhooks.clear();
  mock.messaging.sent.length = 0;
});
afterAll(() => mock.stop());

const registrations = () =>
  [...mock.messaging.webhooks.values()].map(({ topic, address, configuration }) => ({
    topic,
    address,
    echo: configuration['echo'],
  }));

/** A trigger of its own (its own redelivery memory), at `url`. */
function trigger(url: string, parameters: IDataObject = {}, creds: IDataObject = credentials) {
  nodeIds += 1;
  return new TriggerUnderTest({ credentials: creds, parameters, nodeId: `trigger-${nodeIds}` }, url);
}

describe('the node description', () => {
  const { description } = new ConnectlyTrigger();

  it('is a webhook trigger with three outputs, Customer, Human Agent and Delivery Status, on the Messaging API credential', () => {
    expect(description.name).toBe('connectlyTrigger');
    expect(description.group).toEqual(['trigger']);
    expect(description.inputs).toEqual([]);
    expect(description.outputNames).toEqual(['Customer', 'Human Agent', 'Delivery Status']);
    expect(description.outputs).toEqual(['main', 'main', 'main']);
    expect(description.credentials).toEqual([{ name: 'connectlyMessagingApi', required: true }]);
    expect(description.webhooks).toEqual([
      { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' },
    ]);
  });

  it('tells the user that publishing brings the messages here, and that another address is taken over only when asked', () => {
    const notice = description.properties.find((p) => p.name === 'takeOverNotice');
    expect(notice?.type).toBe('notice');
    expect(notice?.displayName).toMatch(
      /one address only.*publishing stops and names it.*Take Over From Another Address/,
    );
    expect(description.properties.find((p) => p.name === 'takeOver')).toMatchObject({
      displayName: 'Take Over From Another Address',
      type: 'boolean',
      default: false,
    });
  });
});

describe('the two type names of the trigger', () => {
  it("the panel lists connectlyWhatsAppTrigger, which n8n does not fold into the Connectly node's entry; connectlyTrigger, of saved workflows, is hidden", () => {
    const listed = new ConnectlyWhatsAppTrigger().description;
    const saved = new ConnectlyTrigger().description;
    expect(listed.name).toBe('connectlyWhatsAppTrigger');
    // n8n merges a trigger into the node whose name is the trigger's without "Trigger".
    expect(listed.name.replace('Trigger', '')).not.toBe('connectly');
    expect(listed.hidden).toBeUndefined();
    expect(saved).toEqual({ ...listed, name: 'connectlyTrigger', hidden: true });
  });
});

describe('the webhook lifecycle', () => {
  const URL_A = 'http://127.0.0.1:5678/webhook/workflow-a/webhook';
  const URL_B = 'http://127.0.0.1:5678/webhook/workflow-b/webhook';

  it('activation registers the messages topic at the workflow address, with echo on, and remembers its id', async () => {
    const node = trigger(URL_A);
    expect(await node.activate()).toEqual({ existed: false });
    expect(registrations()).toEqual([{ topic: 'messages', address: URL_A, echo: true }]);
    const [id] = mock.messaging.webhooks.keys();
    expect(node.staticData['webhookIds']).toEqual({ messages: id });
  });

  it('checkExists: false with nothing registered, true once registered here, false when the topic points elsewhere', async () => {
    const node = trigger(URL_A);
    expect(await node.checkExists()).toBe(false);
    await node.create();
    expect(await node.checkExists()).toBe(true);
    const [id] = mock.messaging.webhooks.keys();
    await connectly.updateWebhook(id as string, { address: URL_B });
    expect(await node.checkExists()).toBe(false);
  });

  it('checkExists: false when the registration points here but without echo (create then turns echo on)', async () => {
    await connectly.createWebhook({ topic: 'messages', address: URL_A, configuration: { echo: false } });
    const node = trigger(URL_A);
    expect(await node.activate()).toEqual({ existed: false });
    expect(registrations()).toEqual([{ topic: 'messages', address: URL_A, echo: true }]);
  });

  it('deactivation removes the registration it made', async () => {
    const node = trigger(URL_A);
    await node.activate();
    await node.deactivate();
    expect(registrations()).toEqual([]);
    expect(node.staticData).toEqual({});
  });

  it("refuses to take another address's registration over, naming the address and the option, and changes nothing", async () => {
    await connectly.createWebhook({ topic: 'messages', address: URL_B, configuration: { echo: false } });
    const before = [...mock.messaging.webhooks.values()].map((hook) => ({ ...hook }));
    const node = trigger(URL_A);
    const error = await node.activate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect((error as Error).message).toBe(
      `Your business's Connectly messages already go to ${URL_B}: to move them here, turn on "Take Over From Another Address" in the Connectly Trigger`,
    );
    expect((error as NodeOperationError).description).toContain('"Take Over From Another Address"');
    expect([...mock.messaging.webhooks.values()]).toEqual(before);
    expect(node.staticData).toEqual({});
  });

  it('with Take Over on, takes the topic over, says so, and gives it back exactly as it was (address and echo)', async () => {
    const { id } = await connectly.createWebhook({
      topic: 'messages',
      address: URL_B,
      configuration: { echo: false, channelTypes: ['whatsapp'] },
    });
    const original = { ...mock.messaging.webhooks.get(id) };
    const node = trigger(URL_A, { takeOver: true });
    await node.activate();
    expect(registrations()).toEqual([{ topic: 'messages', address: URL_A, echo: true }]);
    expect([...mock.messaging.webhooks.keys()]).toEqual([id]); // updated, not replaced
    expect(node.logged).toContainEqual({
      level: 'warn',
      message: expect.stringContaining(`"messages" webhook pointed at ${URL_B}; it now points at this workflow`),
    });
    await node.deactivate();
    expect(mock.messaging.webhooks.get(id)).toEqual(original);
  });

  it('a registration without echo is given back with echo off', async () => {
    const { id } = await connectly.createWebhook({ topic: 'messages', address: URL_B, configuration: {} });
    mock.messaging.webhooks.get(id)!.configuration = {};
    const node = trigger(URL_A, { takeOver: true });
    await node.activate();
    await node.deactivate();
    expect(mock.messaging.webhooks.get(id)).toMatchObject({ address: URL_B, configuration: { echo: false } });
  });

  it('gives back the address an earlier version remembered (address only)', async () => {
    const { id } = await connectly.createWebhook({ topic: 'messages', address: URL_A, configuration: { echo: true } });
    const node = trigger(URL_A);
    Object.assign(node.staticData, { webhookIds: { messages: id }, previousAddresses: { messages: URL_B } });
    await node.deactivate();
    expect(registrations()).toEqual([{ topic: 'messages', address: URL_B, echo: false }]);
  });

  it('never removes a registration that no longer points at this workflow', async () => {
    const a = trigger(URL_A);
    await a.activate();
    const b = trigger(URL_B, { takeOver: true });
    await b.activate(); // another workflow took the topic over
    await a.deactivate();
    expect(registrations()).toEqual([{ topic: 'messages', address: URL_B, echo: true }]);
  });

  it('Delivery Statuses registers the delivery_status topic too, and turning it off removes that registration', async () => {
    const node = trigger(URL_A, { deliveryStatuses: true });
    await node.activate();
    expect(registrations()).toEqual([
      { topic: 'messages', address: URL_A, echo: true },
      { topic: 'delivery_status', address: URL_A, echo: false },
    ]);
    const without = new TriggerUnderTest(
      { credentials, parameters: { deliveryStatuses: false }, nodeId: 'trigger-statuses-off' },
      URL_A,
    );
    expect(await without.activate()).toEqual({ existed: false });
    expect(registrations()).toEqual([{ topic: 'messages', address: URL_A, echo: true }]);
  });

  it('refuses to activate without a webhook secret, naming the credential field, before registering anything', async () => {
    const node = trigger(URL_A, {}, { ...credentials, webhookSecret: '' });
    const error = await node.activate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect((error as Error).message).toBe(
      'The Webhook Secret of the Connectly WhatsApp Messaging API credential is empty',
    );
    expect((error as NodeOperationError).description).toMatch(/ask your Connectly contact/);
    expect(registrations()).toEqual([]);
  });

  it('an address Connectly refuses fails activation with the fix (WEBHOOK_URL), without the key', async () => {
    const node = trigger('http://n8n.example.com/webhook/x/webhook');
    const error = await node.activate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeApiError);
    expect((error as NodeApiError).description).toMatch(/public https address.*WEBHOOK_URL/);
    expect(`${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`).not.toContain(KEY);
  });

  it('a wrong API key fails activation with a message about the key, without the key', async () => {
    const node = trigger(URL_A, {}, { ...credentials, apiKey: `${KEY}-wrong` });
    const error = await node.activate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeApiError);
    expect((error as NodeApiError).description).toMatch(
      /does not accept the Messaging Key: open the Connectly WhatsApp Messaging API credential/,
    );
    expect(`${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`).not.toContain(KEY);
  });
});

describe('deliveries', () => {
  let served: ServedTrigger & { trigger: TriggerUnderTest };
  // The mock's deliveries before this test's.
  let baseline = 0;

  async function start(parameters: IDataObject = {}, creds: IDataObject = credentials) {
    baseline = mock.messaging.deliveries.length;
    nodeIds += 1;
    served = await serve(
      (url) => new TriggerUnderTest({ credentials: creds, parameters, nodeId: `served-${nodeIds}` }, url),
    );
    await served.trigger.activate();
  }
  afterEach(() => served?.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(served.url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body });
  const signed = (payload: unknown) => {
    const body = JSON.stringify(payload);
    return { body, headers: { 'x-connectly-hmac-sha256': signWebhook(body, SECRET) } };
  };
  /** Waits until the mock has made `count` deliveries in all and each has settled (it makes them one at a time). */
  const settled = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const done = () =>
        mock.messaging.deliveries.slice(baseline).filter((d) => d.outcome !== 'pending').length >= count;
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        mock.messaging.off('delivery', check);
        resolve();
      };
      const timer = setTimeout(() => {
        mock.messaging.off('delivery', check);
        reject(new Error(`${mock.messaging.deliveries.length - baseline} of ${count} deliveries after 4 s`));
      }, 4000);
      mock.messaging.on('delivery', check);
      check();
    });

  it("a customer's message starts one execution, answered 200, with a lean item on the Customer output", async () => {
    await start();
    const delivery = await mock.customer(CUSTOMER, { name: 'Ana' }).says('Hi');
    expect(delivery.outcome).toBe('delivered');
    expect(delivery.attempts).toEqual([{ status: 200 }]);
    expect(served.runs).toHaveLength(1);
    const [customer, human, status] = served.runs[0] ?? [];
    expect(human).toEqual([]);
    expect(status).toEqual([]);
    expect(customer).toHaveLength(1);
    expect(customer?.[0]?.json).toEqual({
      kind: 'message',
      clientKey: CUSTOMER,
      text: 'Hi',
      customer: { id: CUSTOMER, name: 'Ana', phone: CUSTOMER },
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      inputEvents: [{ messageEvent: { role: 'USER', content: { textContent: { text: 'Hi' } } } }],
      // The delivery's signature (Base64 HMAC-SHA256), which its redeliveries repeat.
      deliveryId: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
    });
  });

  it('a button reply comes out on the Customer output with the title as text and the button as input event', async () => {
    await start();
    const { body, headers } = signed({
      timestamp: NOW_SECONDS,
      sender: { id: CUSTOMER, channelType: 'whatsapp', name: 'Ana' },
      recipient: { id: '+15550100000', channelType: 'whatsapp' },
      context: { replyToId: '01FRRVK645V350357FGV2Y1B16' },
      buttonResponse: { text: 'Yes please', payload: 'yes' },
    });
    expect((await post(body, headers)).status).toBe(200);
    expect(served.runs[0]?.[0]?.[0]?.json).toMatchObject({
      kind: 'button',
      text: 'Yes please',
      buttonId: 'yes',
      replyToId: '01FRRVK645V350357FGV2Y1B16',
      timestamp: new Date(Number(NOW_SECONDS) * 1000).toISOString(),
      inputEvents: [{ buttonResponseEvent: { id: 'yes', title: 'Yes please' } }],
    });
  });

  it('Include Raw Payload adds the delivery exactly as sent', async () => {
    await start({ options: { includePayload: true } });
    const payload = {
      timestamp: NOW_SECONDS,
      sender: { id: CUSTOMER, channelType: 'whatsapp' },
      recipient: { id: '+15550100000', channelType: 'whatsapp' },
      message: { text: 'with payload' },
    };
    const { body, headers } = signed(payload);
    await post(body, headers);
    expect(served.runs[0]?.[0]?.[0]?.json['payload']).toEqual(payload);
  });

  it('a tampered body is refused with 401 and starts no execution', async () => {
    await start();
    const { body, headers } = signed({ sender: { id: CUSTOMER }, message: { text: 'Hi' } });
    const response = await post(body.replace('Hi', 'Hello'), headers);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid signature' });
    expect(served.runs).toEqual([]);
  });

  it('a request without a signature is refused with 401 and starts no execution', async () => {
    await start();
    const response = await post(JSON.stringify({ sender: { id: CUSTOMER }, message: { text: 'Hi' } }));
    expect(response.status).toBe(401);
    expect(served.runs).toEqual([]);
  });

  it('a redelivered webhook (same bytes, same signature) is answered 200 and starts no second execution', async () => {
    await start();
    const first = await mock.customer(CUSTOMER).says('Only once');
    const again = await mock.messaging.redeliver(first).settled;
    expect(again.attempts).toEqual([{ status: 200 }]);
    expect(served.runs).toHaveLength(1);
    // A new message with the same words is a new delivery.
    const payload = JSON.parse(first.body) as { timestamp: string };
    const { body, headers } = signed({ ...payload, timestamp: String(Number(payload.timestamp) - 1) });
    await post(body, headers);
    expect(served.runs).toHaveLength(2);
  });

  it('a delivery whose handling failed (answered 500) is taken when Connectly redelivers it', async () => {
    let failOnce = false;
    // n8n fails to read the node's parameters once: the first attempt's handling throws.
    const parameters = {
      get deliveryStatuses(): boolean {
        if (failOnce) {
          failOnce = false;
          throw new Error('the parameters could not be read');
        }
        return false;
      },
    };
    await start(parameters as unknown as IDataObject);
    failOnce = true;
    const { body, headers } = signed({
      timestamp: NOW_SECONDS,
      sender: { id: CUSTOMER, channelType: 'whatsapp' },
      message: { text: 'Do not lose me' },
    });
    expect((await post(body, headers)).status).toBe(500);
    expect(served.runs).toEqual([]);
    expect((await post(body, headers)).status).toBe(200);
    expect((await post(body, headers)).status).toBe(200);
    expect(served.runs).toHaveLength(1);
    expect(served.runs[0]?.[0]?.[0]?.json).toMatchObject({ text: 'Do not lose me' });
  });

  it('a signed delivery older than Max Delivery Age is refused with 401 and one warning, and starts no execution', async () => {
    await start({ options: { maxAgeMinutes: 2 } });
    const delivery = (secondsAgo: number) =>
      signed({
        timestamp: String(Math.floor(Date.now() / 1000) - secondsAgo),
        sender: { id: CUSTOMER, channelType: 'whatsapp' },
        message: { text: `sent ${secondsAgo} s ago` },
      });
    const replay = delivery(180);
    const response = await post(replay.body, replay.headers);
    expect(response.status).toBe(401);
    expect(served.runs).toEqual([]);
    expect(served.trigger.logged).toEqual([
      { level: 'warn', message: expect.stringMatching(/replay of an old delivery/) },
    ]);
    const fresh = delivery(60);
    expect((await post(fresh.body, fresh.headers)).status).toBe(200);
    expect(served.runs).toHaveLength(1);
  });

  it('the 2021 delivery of the documentation, replayed today, is refused with 401 (5 minutes by default)', async () => {
    await start();
    const { body, headers } = signed({
      timestamp: '1639083206',
      sender: { id: CUSTOMER, channelType: 'whatsapp' },
      message: { text: 'TEST 11' },
    });
    expect((await post(body, headers)).status).toBe(401);
    expect(served.runs).toEqual([]);
  });

  it('a multipart request (n8n keeps no raw body) is refused with 401 and at most one warning, never an error', async () => {
    await start();
    const form = new FormData();
    form.append('message', 'forged');
    const unsigned = await fetch(served.url, { method: 'POST', body: form });
    expect(unsigned.status).toBe(401);
    const withHeader = await fetch(served.url, {
      method: 'POST',
      body: form,
      headers: { 'x-connectly-hmac-sha256': signWebhook('forged', 'guess') },
    });
    expect(withHeader.status).toBe(401);
    expect(served.runs).toEqual([]);
    expect(served.trigger.logged.filter((line) => line.level === 'error')).toEqual([]);
    expect(served.trigger.logged.length).toBeLessThanOrEqual(1);
  });

  it("the echo of the workflow's own (automated) send starts no execution", async () => {
    await start();
    await mock.customer(CUSTOMER).says('Hi');
    await connectly.sendMessage({
      to: CUSTOMER,
      message: { text: 'Hello from the bot' },
      callbackData: markAutomated(),
    });
    await settled(2);
    const echoes = mock.messaging.deliveries.slice(baseline).filter((d) => JSON.parse(d.body).message?.isEcho === true);
    expect(echoes.map((d) => d.outcome)).toEqual(['delivered']);
    expect(served.runs).toHaveLength(1); // the customer's message only
  });

  it("the echo of a person's reply from Connectly's inbox comes out on the Human Agent output", async () => {
    await start();
    await mock.customer(CUSTOMER, { name: 'Ana' }).says('Hi');
    await connectly.sendMessage({ to: CUSTOMER, message: { text: 'This is Maria from support' } });
    await settled(2);
    expect(served.runs).toHaveLength(2);
    const [customer, human, status] = served.runs[1] ?? [];
    expect([customer, status]).toEqual([[], []]);
    expect(human?.[0]?.json).toMatchObject({
      kind: 'echo',
      sentBy: 'human',
      clientKey: CUSTOMER,
      text: 'This is Maria from support',
      inputEvents: [],
    });
  });

  it('with Delivery Statuses on, each status of a send comes out on the Delivery Status output', async () => {
    await start({ deliveryStatuses: true });
    await mock.customer(CUSTOMER).says('Hi');
    const { id } = await connectly.sendMessage({
      to: CUSTOMER,
      message: { text: 'Your order shipped' },
      callbackData: markAutomated({ order: 7 }),
    });
    await settled(4);
    const statuses = served.runs.map((run) => run[2] ?? []).flat();
    expect(statuses.map((item) => item.json)).toEqual(
      ['sent', 'delivered'].map((status) =>
        expect.objectContaining({
          kind: 'status',
          clientKey: CUSTOMER,
          messageId: id,
          status,
          error: null,
          callbackData: { order: 7, connectlySentBy: 'automation' },
          inputEvents: [],
        }),
      ),
    );
  });

  it('with Delivery Statuses off, a status that still arrives starts no execution', async () => {
    await start();
    const { body, headers } = signed({
      topic: 'delivery_status',
      timestamp: NOW_SECONDS,
      sender: { id: '+15550100000', channelType: 'whatsapp' },
      recipient: { id: CUSTOMER, channelType: 'whatsapp' },
      statusUpdate: { id: '01FRRWW2ZAHD9GJ1SWY4VF2GBD', status: 'delivered', error: null },
    });
    expect((await post(body, headers)).status).toBe(200);
    expect(served.runs).toEqual([]);
  });

  it('a delivery this version cannot read is not dropped: it comes out on the Delivery Status output as kind "other"', async () => {
    await start();
    const { body, headers } = signed({ topic: 'report', timestamp: new Date().toISOString(), report: { id: 'r1' } });
    await post(body, headers);
    expect(served.runs[0]?.[2]?.[0]?.json).toMatchObject({ kind: 'other', topic: 'report', text: '' });
  });

  it('a credential without a webhook secret answers 500 with the fix and starts no execution', async () => {
    await start();
    const unsigned = new TriggerUnderTest({ credentials: { ...credentials, webhookSecret: '' } }, served.url);
    const res = {
      statusCode: 0,
      body: '',
      setHeader: () => undefined,
      end(text: string) {
        this.body = text;
      },
    };
    const { body, headers } = signed({ sender: { id: CUSTOMER }, message: { text: 'Hi' } });
    const started = await unsigned.receive(Buffer.from(body), headers, res as never);
    expect(started).toBeUndefined();
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error).toMatch(/Webhook Secret.*is empty.*enter the secret/);
    expect(unsigned.logged).toContainEqual({ level: 'error', message: expect.stringContaining('Webhook Secret') });
  });
});

describe("with Connectly's duplicates, reordering and hidden numbers", () => {
  let chaotic: MockConnectlyServer;
  let served: ServedTrigger & { trigger: TriggerUnderTest };

  beforeAll(async () => {
    chaotic = new MockConnectlyServer({
      apiKey: KEY,
      businessId: 'biz',
      messaging: { webhookSecret: SECRET, timeScale: 0.001, chaos: { duplicateRate: 1, seed: 7 }, bsuid: true },
    });
    const baseUrl = await chaotic.start();
    served = await serve(
      (url) =>
        new TriggerUnderTest(
          { credentials: { ...credentials, baseUrl }, parameters: {}, nodeId: 'chaos-trigger' },
          url,
        ),
    );
    await served.trigger.activate();
  });
  afterAll(async () => {
    await served?.close();
    await chaotic?.stop();
  });

  it('every delivery sent twice, in any order: each message starts exactly one execution', async () => {
    const customer = chaotic.customer(CUSTOMER);
    for (const text of ['one', 'two', 'three']) await customer.says(text);
    await Promise.all(chaotic.messaging.deliveries.map((d) => d.settled));
    expect(chaotic.messaging.deliveries.filter((d) => d.duplicateOf)).toHaveLength(3);
    const texts = served.runs.map((run) => run[0]?.[0]?.json['text']);
    expect(texts.sort()).toEqual(['one', 'three', 'two']);
  });

  it('a customer whose number WhatsApp hides is keyed by their BSUID, with no phone', async () => {
    const before = served.runs.length;
    await chaotic.customer('US.13491208655302741918', { name: 'Hidden' }).says('Hello');
    await Promise.all(chaotic.messaging.deliveries.map((d) => d.settled));
    expect(served.runs.slice(before).map((run) => run[0]?.[0]?.json)).toEqual([
      expect.objectContaining({
        clientKey: 'US.13491208655302741918',
        customer: { id: 'US.13491208655302741918', name: 'Hidden', phone: null },
      }),
    ]);
  });
});

describe('echoes that carry no callback data (the echo shape is not documented)', () => {
  let plain: MockConnectlyServer;
  let served: ServedTrigger & { trigger: TriggerUnderTest };
  let plainCredentials: typeof credentials;

  beforeAll(async () => {
    plain = new MockConnectlyServer({
      apiKey: KEY,
      businessId: 'biz-plain-echo',
      messaging: { webhookSecret: SECRET, timeScale: 0.001, echoCallbackData: false },
    });
    const baseUrl = await plain.start();
    plainCredentials = { apiKey: KEY, businessId: 'biz-plain-echo', baseUrl, webhookSecret: SECRET };
    served = await serve(
      (url) => new TriggerUnderTest({ credentials: plainCredentials, parameters: {}, nodeId: 'plain-echo' }, url),
    );
    await served.trigger.activate();
  });
  afterAll(async () => {
    await served?.close();
    await plain?.stop();
  });

  const settledAll = () => Promise.all(plain.messaging.deliveries.map((d) => d.settled));

  it("Message → Send's own echo starts no execution, a person's echo of the same customer still does", async () => {
    const customer = '+15551239001';
    await plain.customer(customer).says('Hi');
    await settledAll();
    await runNode(sendText(customer, 'Hello from the workflow'), {
      credentials: plainCredentials,
      messagingCredentials: plainCredentials,
    });
    await inboxOf(plainCredentials.baseUrl).sendMessage({ to: customer, message: { text: 'Maria here' } });
    await settledAll();
    const echoes = plain.messaging.deliveries.filter((d) => JSON.parse(d.body).message?.isEcho === true);
    expect(echoes.map((d) => JSON.parse(d.body).callbackData ?? null)).toEqual([null, null]);
    // The customer's message, then the person's echo: the workflow's own echo started nothing.
    expect(served.runs.map((run) => run.findIndex((items) => items.length > 0))).toEqual([0, 1]);
    expect(served.runs[1]?.[1]?.[0]?.json).toMatchObject({ kind: 'echo', text: 'Maria here', sentBy: 'human' });
  });

  it('the same text sent twice by the workflow: each of its echoes is known for its own', async () => {
    const customer = '+15551239002';
    await plain.customer(customer).says('Hi');
    await settledAll();
    const before = served.runs.length;
    for (let i = 0; i < 2; i += 1) {
      await runNode(sendText(customer, 'One moment please'), {
        credentials: plainCredentials,
        messagingCredentials: plainCredentials,
      });
    }
    await settledAll();
    expect(served.runs.length).toBe(before);
  });
});

function inboxOf(baseUrl: string): ConnectlyMessagingClient {
  return new ConnectlyMessagingClient({ apiKey: KEY, businessId: 'biz-plain-echo', baseUrl });
}
