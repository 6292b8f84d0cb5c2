// The mock's messaging side over real HTTP: webhook registry, signed deliveries and redelivery,
// the send endpoints' validation and errors, and the scripted customer.
import { createHmac } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockConnectlyServer, SIGNATURE_HEADER, type WebhookDelivery } from '../src/index.js';

const KEY = 'messaging-key';
const BIZ = 'biz-1';
const SECRET = 'test-secret';
const CUSTOMER = '+16315555500';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback: records every request and answers the queued statuses, then 200. */
class Receiver {
  readonly received: Received[] = [];
  readonly statuses: number[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(this.statuses.shift() ?? 200).end();
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  json(index: number): Record<string, unknown> {
    return JSON.parse((this.received[index] as Received).body) as Record<string, unknown>;
  }
}

let mock: MockConnectlyServer;
let receiver: Receiver;
let clock = Date.UTC(2026, 11, 1, 12);

beforeEach(async () => {
  mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: BIZ,
    messaging: { webhookSecret: SECRET, timeScale: 0.001, rateLimitPerSecond: 3, now: () => clock },
  });
  await mock.start();
  receiver = await new Receiver().start();
});
afterEach(async () => {
  await mock.stop();
  await receiver.stop();
});

function api(method: string, path: string, body?: unknown, key = KEY, server = mock): Promise<Response> {
  return fetch(`${server.url}/v1/businesses/${BIZ}/${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function register(topic = 'messages', configuration?: unknown): Promise<string> {
  const response = await api('POST', 'create/webhooks', { topic, address: receiver.url, configuration });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

function send(message: unknown, to = CUSTOMER, extra: Record<string, unknown> = {}): Promise<Response> {
  return api('POST', 'send/messages', { recipient: { id: to, channelType: 'whatsapp' }, message, ...extra });
}

async function errorOf(response: Response): Promise<{ code: string; type: string; message: string }> {
  return (await response.json()) as { code: string; type: string; message: string };
}

describe('webhook registry', () => {
  it('creates, lists, updates and deletes registrations in the documented shapes', async () => {
    const id = await register('messages', { echo: true });
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const listed = await (await api('GET', 'webhooks')).json();
    expect(listed).toEqual({
      entity: {
        businessId: BIZ,
        webhooks: [
          {
            id,
            topic: 'messages',
            address: receiver.url,
            configuration: { echo: true, channelTypes: ['whatsapp'], filters: [] },
          },
        ],
      },
    });
    const updated = await api('PUT', `update/webhooks/${id}`, {
      configuration: { filters: [{ field: 'campaign_name', expression: 'x-*' }] },
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({});
    const after = (await (await api('GET', 'webhooks')).json()) as {
      entity: { webhooks: Array<{ configuration: unknown }> };
    };
    expect(after.entity.webhooks[0]?.configuration).toEqual({
      echo: true,
      channelTypes: ['whatsapp'],
      filters: [{ field: 'campaign_name', expression: 'x-*' }],
    });
    const deleted = await api('DELETE', `delete/webhooks/${id}`);
    expect([deleted.status, await deleted.json()]).toEqual([200, {}]);
    expect(await (await api('GET', 'webhooks')).json()).toEqual({ entity: { businessId: BIZ, webhooks: [] } });
    expect((await api('DELETE', `delete/webhooks/${id}`)).status).toBe(404);
  });

  it('answers 409 to a second create for the same topic', async () => {
    await register('messages');
    const again = await api('POST', 'create/webhooks', { topic: 'messages', address: receiver.url });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toMatch(/already exists.*update it instead/);
  });

  it('refuses a plain-http public address, an unknown topic and a topic change, with the documented error body', async () => {
    const plain = await api('POST', 'create/webhooks', { topic: 'messages', address: 'http://example.com/hook' });
    expect(plain.status).toBe(400);
    const body = (await plain.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      'cntTraceId',
      'code',
      'details',
      'message',
      'type',
      'userMessage',
      'userTitle',
    ]);
    expect(body.type).toBe('ERROR_TYPE_INVALID_REQUEST');
    expect(body.cntTraceId).toMatch(/^\d{20}$/);
    expect((await api('POST', 'create/webhooks', { topic: 'topic_unspecified', address: receiver.url })).status).toBe(
      400,
    );
    const id = await register('delivery_status');
    expect((await api('PUT', `update/webhooks/${id}`, { topic: 'messages' })).status).toBe(400);
  });

  it('answers 401 without the key and 404 for another business', async () => {
    expect((await api('GET', 'webhooks', undefined, '')).status).toBe(401);
    const other = await fetch(`${mock.url}/v1/businesses/other/webhooks`, { headers: { 'x-api-key': KEY } });
    expect(other.status).toBe(404);
  });
});

describe('signed deliveries', () => {
  it('delivers what the customer says as text/plain, signed with the business secret over the exact bytes', async () => {
    await register();
    const delivery = await mock.customer(CUSTOMER).says('Hi');
    expect(delivery.outcome).toBe('delivered');
    const got = receiver.received[0] as Received;
    expect(got.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(got.headers[SIGNATURE_HEADER]).toBe(createHmac('sha256', SECRET).update(got.body).digest('base64'));
    expect(got.headers['user-agent']).toMatch(/^go-resty\//);
    expect(JSON.parse(got.body)).toEqual({
      timestamp: String(Math.floor(clock / 1000)),
      sender: { id: CUSTOMER, channelType: 'whatsapp', name: 'Mock Customer' },
      recipient: { id: '+15550100000', channelType: 'whatsapp' },
      message: { text: 'Hi' },
    });
  });

  it('signs with the secret set through the admin route', async () => {
    await register();
    const set = await fetch(`${mock.url}/__mock/businesses/${BIZ}/webhook-secret`, {
      method: 'POST',
      body: JSON.stringify({ secret: 'rotated' }),
    });
    expect(set.status).toBe(200);
    await mock.customer(CUSTOMER).says('Hi');
    const got = receiver.received[0] as Received;
    expect(got.headers[SIGNATURE_HEADER]).toBe(createHmac('sha256', 'rotated').update(got.body).digest('base64'));
  });

  it('redelivers the identical body and signature until the receiver answers 200', async () => {
    await register();
    receiver.statuses.push(500, 204, 503);
    const delivery = await mock.customer(CUSTOMER).says('Hi');
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 204, 503, 200]);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.headers[SIGNATURE_HEADER])).size).toBe(1);
  });

  it('gives up after five attempts', async () => {
    await register();
    receiver.statuses.push(500, 500, 500, 500, 500, 500);
    const delivery = await mock.customer(CUSTOMER).says('Hi');
    expect([delivery.outcome, delivery.attempts.length, receiver.received.length]).toEqual(['failed', 5, 5]);
  });

  it('redeliver() replays a delivery byte for byte', async () => {
    await register();
    const first = await mock.customer(CUSTOMER).says('Hi');
    const again = await mock.messaging.redeliver(first).settled;
    expect(again.outcome).toBe('delivered');
    expect(receiver.received[1]).toEqual({ ...receiver.received[0], headers: expect.anything() });
    expect(receiver.received[1]?.headers[SIGNATURE_HEADER]).toBe(first.signature);
  });

  it('refuses to script a customer when no messages webhook is registered', () => {
    expect(() => mock.customer(CUSTOMER).says('Hi')).toThrow(/no "messages" webhook/);
  });

  it('sends delivery statuses with the callbackData, and echoes only when asked', async () => {
    await register('messages');
    await register('delivery_status');
    await mock.customer(CUSTOMER).says('Hi');
    const response = await send({ text: 'Hello!' }, CUSTOMER, { callbackData: { order: 7 } });
    const { id } = (await response.json()) as { id: string };
    await waitFor(() => mock.messaging.deliveries.filter((d) => d.outcome !== 'pending').length >= 3);
    const statuses = receiver.received.map(
      (r) => JSON.parse(r.body) as { statusUpdate?: { id: string; status: string }; callbackData?: unknown },
    );
    expect(
      statuses.filter((s) => s.statusUpdate).map((s) => [s.statusUpdate?.id, s.statusUpdate?.status, s.callbackData]),
    ).toEqual([
      [id, 'sent', { order: 7 }],
      [id, 'delivered', { order: 7 }],
    ]);
    expect(statuses.some((s) => (s as { message?: { isEcho?: boolean } }).message?.isEcho)).toBe(false);
  });

  it('applies a campaign_name filter to delivery statuses and reports the campaign in metadata', async () => {
    await register('messages');
    await register('delivery_status', { filters: [{ field: 'campaign_name', expression: 'winter-*' }] });
    await mock.customer(CUSTOMER).says('Hi');
    await send({ text: 'untagged' });
    await send({ text: 'other' }, CUSTOMER, { campaignName: 'summer-sale' });
    const tagged = (await (await send({ text: 'tagged' }, CUSTOMER, { campaignName: 'winter-2026' })).json()) as {
      id: string;
    };
    await waitFor(() => receiver.received.length >= 3);
    await waitFor(() => mock.messaging.deliveries.every((d) => d.outcome !== 'pending'));
    const statuses = receiver.received
      .slice(1)
      .map((r) => JSON.parse(r.body) as { statusUpdate: { id: string }; metadata: unknown });
    expect(statuses.map((s) => [s.statusUpdate.id, s.metadata])).toEqual([
      [tagged.id, { campaign_name: 'winter-2026' }],
      [tagged.id, { campaign_name: 'winter-2026' }],
    ]);
  });

  it('echoes the business message on the messages webhook when echo is on', async () => {
    await register('messages', { echo: true });
    await mock.customer(CUSTOMER).says('Hi');
    await send({ text: 'Hello!' });
    await waitFor(() => receiver.received.length >= 2);
    expect(receiver.json(1)).toMatchObject({
      sender: { id: '+15550100000' },
      recipient: { id: CUSTOMER },
      message: { text: 'Hello!', isEcho: true },
    });
  });
});

describe('sending session messages', () => {
  beforeEach(async () => {
    await register();
    await mock.customer(CUSTOMER).says('Hi');
  });

  it('accepts a text message, answers {id} and records it for the customer', async () => {
    const response = await send({ text: 'Hello!' });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    expect(mock.customer(CUSTOMER).received).toEqual([
      expect.objectContaining({ id, kind: 'session', to: CUSTOMER, message: { text: 'Hello!' } }),
    ]);
  });

  it('accepts interactive messages with a body, and snake_case keys', async () => {
    const buttons = await send({ text: 'Wrap it?', reply_button_message: { buttons: [{ id: 'y', text: 'Yes' }] } });
    expect(buttons.status).toBe(200);
    const list = await send({
      text: 'Pick one',
      listMessage: { button: { text: 'Options' }, sections: [{ title: 'Gifts', rows: [{ id: 'r1', text: 'Scarf' }] }] },
    });
    expect(list.status).toBe(200);
    expect(mock.customer(CUSTOMER).received[0]?.message).toEqual({
      text: 'Wrap it?',
      replyButtonMessage: { buttons: [{ id: 'y', text: 'Yes' }] },
    });
  });

  it.each([
    ['no content', {}, 'ERROR_CODE_MESSAGE_TEXT_EMPTY'],
    ['empty text', { text: ' ' }, 'ERROR_CODE_MESSAGE_TEXT_EMPTY'],
    [
      'two content kinds',
      { location: { latitude: 1, longitude: 2 }, attachments: [{ type: 'image', url: 'https://x/y.png' }] },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'two attachments',
      {
        attachments: [
          { type: 'image', url: 'https://x/a' },
          { type: 'image', url: 'https://x/b' },
        ],
      },
      'ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID',
    ],
    ['an empty attachment URL', { attachments: [{ type: 'image', url: '' }] }, 'ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY'],
    [
      'an unparsable attachment URL',
      { attachments: [{ type: 'image', url: 'not a url' }] },
      'ERROR_CODE_MESSAGE_ATTACHMENT_INVALID',
    ],
    [
      'four reply buttons',
      { text: 'b', replyButtonMessage: { buttons: ['a', 'b', 'c', 'd'].map((t) => ({ id: t, text: t })) } },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'an interactive without a body',
      { replyButtonMessage: { buttons: [{ id: 'a', text: 'a' }] } },
      'ERROR_CODE_MESSAGE_TEXT_EMPTY',
    ],
    [
      'an agent-shaped header attachment',
      {
        text: 'b',
        replyButtonMessage: {
          header: { attachment: { type: 'image', asset: { url: 'https://x/y' } } },
          buttons: [{ id: 'a', text: 'a' }],
        },
      },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'two reply buttons with the same title',
      {
        text: 'b',
        replyButtonMessage: {
          buttons: [
            { id: 'a', text: 'Same' },
            { id: 'b', text: 'Same' },
          ],
        },
      },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'a reply button with an empty title',
      { text: 'b', replyButtonMessage: { buttons: [{ id: 'a', text: '' }] } },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'a reply button id over 256 characters',
      { text: 'b', replyButtonMessage: { buttons: [{ id: 'i'.repeat(300), text: 'A' }] } },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'a list of 11 rows',
      {
        text: 'b',
        listMessage: {
          button: { text: 'Options' },
          sections: [{ rows: Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, text: `R${i}` })) }],
        },
      },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'a list of 11 sections',
      {
        text: 'b',
        listMessage: {
          button: { text: 'Options' },
          sections: Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [{ id: `r${i}`, text: 'R' }] })),
        },
      },
      'ERROR_CODE_UNSPECIFIED',
    ],
    [
      'a caption over 1024 characters',
      { attachments: [{ type: 'image', url: 'https://x/y.png', caption: 'c'.repeat(1100) }] },
      'ERROR_CODE_UNSPECIFIED',
    ],
  ])('refuses %s with 400 and the documented code', async (_, message, code) => {
    const response = await send(message);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe(code);
    expect(mock.messaging.sent).toEqual([]);
  });

  it('refuses a badly formatted number and callbackData over 1024 bytes', async () => {
    expect((await errorOf(await send({ text: 'x' }, '555-1234'))).code).toBe('ERROR_CODE_PHONE_NUMBER_BAD_FORMAT');
    const big = await send({ text: 'x' }, CUSTOMER, { callbackData: 'x'.repeat(1100) });
    expect([big.status, (await errorOf(big)).message]).toEqual([400, expect.stringMatching(/1024/)]);
  });

  it('refuses a session message to a customer who never wrote, and one after 24 hours', async () => {
    const stranger = await send({ text: 'x' }, '+15557654321');
    expect((await errorOf(stranger)).code).toBe('ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION');
    mock.customer(CUSTOMER).silentFor(24 * 3600 * 1000 + 1);
    const late = await send({ text: 'x' });
    expect(late.status).toBe(400);
    expect(await errorOf(late)).toMatchObject({
      type: 'ERROR_TYPE_DEADLINE_EXCEEDED',
      code: 'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW',
    });
  });

  it('answers 429 with Retry-After past the rate limit, counted per second of the clock', async () => {
    for (let i = 0; i < 3; i += 1) expect((await send({ text: `m${i}` })).status).toBe(200);
    const limited = await send({ text: 'm3' });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '1']);
    clock += 1000;
    expect((await send({ text: 'm4' })).status).toBe(200);
  });

  it('fails the next send with an injected error', async () => {
    mock.messaging.failNextSend({ code: 'ERROR_CODE_BUSINESS_REACHED_LIMITS' });
    const response = await send({ text: 'x' });
    expect([response.status, (await errorOf(response)).code]).toEqual([403, 'ERROR_CODE_BUSINESS_REACHED_LIMITS']);
  });
});

describe('sending template messages', () => {
  function template(body: unknown): Promise<Response> {
    return api('POST', 'send/whatsapp_templated_messages', body);
  }

  it('sends an approved template to a number in any common format, with no prior conversation', async () => {
    const response = await template({
      number: '+1(604) 585 2331',
      templateName: 'order_update',
      language: 'en',
      parameters: [{ name: 'body_1', value: 'A-17' }],
    });
    expect(response.status).toBe(200);
    expect(mock.messaging.sent[0]).toMatchObject({ kind: 'template', to: '+16045852331' });
  });

  it('answers 404 for an unknown template and 400 for missing parameters or an opted-out customer', async () => {
    const unknown = await template({ number: CUSTOMER, templateName: 'nope', language: 'en' });
    expect([unknown.status, (await errorOf(unknown)).code]).toEqual([404, 'ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND']);
    const missing = await template({ number: CUSTOMER, templateName: 'order_update', language: 'en' });
    expect((await errorOf(missing)).code).toBe('ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID');
    await register();
    mock.customer(CUSTOMER).optOut();
    const opted = await template({ number: CUSTOMER, templateName: 'hello_world', language: 'en' });
    expect((await errorOf(opted)).code).toBe('ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT');
  });
});

describe('the scripted customer', () => {
  it.each([
    ['payload', (id: string) => ({ context: { replyToId: id }, buttonResponse: { text: 'Yes', payload: 'wrap-yes' } })],
    [
      'create-example',
      (id: string) => ({ topic: 'messages', buttonResponse: { text: 'Yes', id, payload: 'wrap-yes' } }),
    ],
    ['legacy', () => ({ message: { text: 'Yes', isButtonResponse: true } })],
  ] as const)('taps a reply button in the %s shape', async (shape, expected) => {
    await register();
    await mock.customer(CUSTOMER).says('Hi');
    const response = await send({ text: 'Wrap?', replyButtonMessage: { buttons: [{ id: 'wrap-yes', text: 'Yes' }] } });
    const { id } = (await response.json()) as { id: string };
    const delivery: WebhookDelivery = await mock.customer(CUSTOMER).taps('Yes', shape);
    expect(JSON.parse(delivery.body)).toMatchObject(expected(id));
  });

  it('can be driven over HTTP by another process', async () => {
    await register();
    const path = `${mock.url}/__mock/businesses/${BIZ}/customers/${encodeURIComponent(CUSTOMER)}/messages`;
    const said = await fetch(path, { method: 'POST', body: JSON.stringify({ text: 'Hi from afar' }) });
    expect(await said.json()).toEqual({ outcome: 'delivered', attempts: [{ status: 200 }] });
    expect(receiver.json(0)).toMatchObject({ message: { text: 'Hi from afar' } });
    await send({ text: 'Hello back' });
    const listed = (await (await fetch(path)).json()) as { messages: Array<{ message: unknown }> };
    expect(listed.messages.map((m) => m.message)).toEqual([{ text: 'Hello back' }]);
    const unknown = await fetch(`${mock.url}/__mock/businesses/other/customers/x/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'x' }),
    });
    expect(unknown.status).toBe(400);
  });

  it('waits for the messages the business sends', async () => {
    await register();
    await mock.customer(CUSTOMER).says('Hi');
    const waiting = mock.customer(CUSTOMER).waitForMessages(2);
    await send({ text: 'one' });
    await send({ text: 'two' });
    expect((await waiting).map((m) => m.message.text)).toEqual(['one', 'two']);
  });
});

describe('business-scoped user ids (BSUID)', () => {
  const HIDDEN = 'US.13491208655302741918';

  async function withBsuid(): Promise<void> {
    await mock.stop();
    mock = new MockConnectlyServer({
      apiKey: KEY,
      businessId: BIZ,
      messaging: { webhookSecret: SECRET, timeScale: 0.001, now: () => clock, bsuid: true },
    });
    await mock.start();
    await register();
  }

  it('delivers a phone-less customer with the BSUID as id and userId, and an empty phoneNumber', async () => {
    await withBsuid();
    await mock.customer(HIDDEN).says('Hi');
    expect(receiver.json(0).sender).toEqual({
      id: HIDDEN,
      channelType: 'whatsapp',
      name: 'Mock Customer',
      userId: HIDDEN,
      phoneNumber: '',
    });
  });

  it('delivers a customer with a number and a BSUID with both', async () => {
    await withBsuid();
    await mock.customer(CUSTOMER, { userId: HIDDEN }).says('Hi');
    expect(receiver.json(0).sender).toMatchObject({ id: CUSTOMER, userId: HIDDEN, phoneNumber: CUSTOMER });
  });

  it('takes a BSUID as recipient.id, recipient.userId and a bsuid: template number', async () => {
    await withBsuid();
    await mock.customer(HIDDEN).says('Hi');
    expect((await send({ text: 'by id' }, HIDDEN)).status).toBe(200);
    const byUserId = await api('POST', 'send/messages', {
      recipient: { userId: HIDDEN, channelType: 'whatsapp' },
      message: { text: 'by userId' },
    });
    expect(byUserId.status).toBe(200);
    const templated = await api('POST', 'send/whatsapp_templated_messages', {
      number: `bsuid:${HIDDEN}`,
      templateName: 'hello_world',
      language: 'en',
    });
    expect(templated.status).toBe(200);
    expect(mock.messaging.sent.map((sent) => sent.to)).toEqual([HIDDEN, HIDDEN, `bsuid:${HIDDEN}`]);
  });

  it('refuses BSUIDs, naming the fix, unless the business has them on', async () => {
    expect((await errorOf(await send({ text: 'x' }, HIDDEN))).code).toBe('ERROR_CODE_PHONE_NUMBER_BAD_FORMAT');
    expect(() => mock.customer(HIDDEN)).toThrow(/\{ bsuid: true \}/);
    const overHttp = await fetch(`${mock.url}/__mock/businesses/${BIZ}/customers/${HIDDEN}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Hi' }),
    });
    expect(overHttp.status).toBe(400);
  });
});

describe('chaos mode', () => {
  async function chaotic(chaos: object): Promise<MockConnectlyServer> {
    await mock.stop();
    mock = new MockConnectlyServer({
      apiKey: KEY,
      businessId: BIZ,
      messaging: { webhookSecret: SECRET, timeScale: 0.001, now: () => clock, chaos },
    });
    await mock.start();
    await register();
    return mock;
  }

  it('sends duplicates byte for byte, signature included, and records them as duplicates', async () => {
    await chaotic({ duplicateRate: 1, maxDelayMs: 0 });
    const delivery = await mock.customer(CUSTOMER).says('Hi');
    await waitFor(() => receiver.received.length === 2);
    const [one, two] = receiver.received as [Received, Received];
    expect(two.body).toBe(one.body);
    expect(two.headers[SIGNATURE_HEADER]).toBe(one.headers[SIGNATURE_HEADER]);
    expect(mock.messaging.deliveries.map((d) => d.duplicateOf)).toEqual([undefined, delivery]);
  });

  it('reorders deliveries', async () => {
    await chaotic({ duplicateRate: 0, maxDelayMs: 200, seed: 7 });
    const customer = mock.customer(CUSTOMER);
    const said = ['1', '2', '3', '4', '5', '6', '7', '8'];
    await Promise.all(said.map((text) => customer.says(text)));
    const arrived = receiver.received.map((r) => (JSON.parse(r.body) as { message: { text: string } }).message.text);
    expect([...arrived].sort()).toEqual(said);
    expect(arrived).not.toEqual(said);
  });

  it('duplicates the same deliveries again with the same seed', async () => {
    const duplicatedWith = async (seed: number): Promise<string[]> => {
      await chaotic({ duplicateRate: 0.5, maxDelayMs: 0, seed });
      const customer = mock.customer(CUSTOMER);
      for (const text of ['1', '2', '3', '4', '5', '6', '7', '8']) await customer.says(text);
      return mock.messaging.deliveries
        .filter((d) => d.duplicateOf !== undefined)
        .map((d) => (JSON.parse(d.body) as { message: { text: string } }).message.text);
    };
    const first = await duplicatedWith(11);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(8);
    expect(await duplicatedWith(11)).toEqual(first);
  });

  it('loses answers: the receiver took the delivery and answered 200, and it comes again until an answer gets through', async () => {
    await chaotic({ duplicateRate: 0, maxDelayMs: 0, lostAnswerRate: 0.5, seed: 3 });
    const customer = mock.customer(CUSTOMER);
    const outcomes = [];
    for (const text of ['1', '2', '3', '4', '5', '6']) outcomes.push(await customer.says(text));
    expect(outcomes.map((d) => d.outcome)).toEqual(Array(6).fill('delivered'));
    const lost = outcomes.flatMap((d) => d.attempts).filter((a) => a.answered === 200);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost[0]?.error).toMatch(/answer was lost/);
    // Every attempt reached the receiver: a lost answer is a redelivery of a delivery already taken.
    expect(receiver.received).toHaveLength(outcomes.flatMap((d) => d.attempts).length);
  });

  it('refuses a lost-answer rate outside 0 to 1', () => {
    expect(() => new MockConnectlyServer({ messaging: { chaos: { lostAnswerRate: -1 } } })).toThrow(
      /lostAnswerRate must be a share from 0 to 1/,
    );
  });

  it('refuses a duplicate rate outside 0 to 1', () => {
    expect(() => new MockConnectlyServer({ messaging: { chaos: { duplicateRate: 2 } } })).toThrow(
      /duplicateRate must be a share from 0 to 1/,
    );
  });
});

describe('bounded under hostile use', () => {
  it('matches a campaign filter full of wildcards without backtracking: the send and the next request are answered', async () => {
    await register('messages');
    await register('delivery_status', {
      filters: [
        { field: 'campaign_name', expression: `${'*a'.repeat(40)}*b` },
        { field: 'campaign_name', expression: 'spring-*-eu*' },
      ],
    });
    const template = (campaignName: string): Promise<Response> =>
      api('POST', 'send/whatsapp_templated_messages', { number: CUSTOMER, templateName: 'hello_world', campaignName });
    expect((await template('a'.repeat(200))).status).toBe(200);
    expect((await api('GET', 'webhooks')).status).toBe(200);
    const matching = (await (await template('spring-2027-eu-north')).json()) as { id: string };
    expect((await template('spring-2027-us')).status).toBe(200);
    await waitFor(() => mock.messaging.deliveries.length >= 2);
    await waitFor(() => mock.messaging.deliveries.every((d) => d.outcome !== 'pending'));
    const statuses = mock.messaging.deliveries.map((d) => JSON.parse(d.body) as { statusUpdate: { id: string } });
    expect(statuses.map((s) => s.statusUpdate.id)).toEqual([matching.id, matching.id]);
  });

  it('keeps only the newest sent messages and deliveries with maxRecords', async () => {
    const bounded = new MockConnectlyServer({
      apiKey: KEY,
      businessId: BIZ,
      maxRecords: 5,
      messaging: { webhookSecret: SECRET, timeScale: 0.001 },
    });
    await bounded.start();
    try {
      const call = (path: string, body: unknown): Promise<Response> => api('POST', path, body, KEY, bounded);
      for (const topic of ['messages', 'delivery_status']) {
        expect((await call('create/webhooks', { topic, address: receiver.url })).status).toBe(200);
      }
      await bounded.customer(CUSTOMER).says('Hi');
      for (let i = 0; i < 12; i += 1) {
        const response = await call('send/messages', {
          recipient: { id: CUSTOMER, channelType: 'whatsapp' },
          message: { text: `m${i}` },
        });
        expect(response.status).toBe(200);
      }
      await waitFor(() => receiver.received.length >= 25);
      expect(bounded.messaging.sent.map((sent) => sent.message.text)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
      expect(bounded.customer(CUSTOMER).received).toHaveLength(5);
      expect(bounded.messaging.deliveries).toHaveLength(5);
    } finally {
      await bounded.stop();
    }
  });
});

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(done()).toBe(true);
}
