// The whole WhatsApp loop in the real example app over HTTP against the mock: a scripted customer's
// webhook in, the agent's turn, the reply out through the Message API; signatures, redeliveries and a
// handover that holds until the desk releases it.
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { signWebhook } from 'connectly-agent-graph';
import { MockConnectlyServer, type MockCustomer } from 'connectly-agent-graph-mock';
import { ConnectlyConversations, ConnectlyMessagingService } from 'nestjs-connectly';
import { AppModule } from '../src/app.module.js';
import { ConversationsService } from '../src/conversations.service.js';
import { HandoverDesk } from '../src/handover-desk.service.js';
import { festiveGiftMessages } from '../../../test/support/whatsapp.js';

const SECRET = 'example-webhook-secret';
const DESK_TOKEN = 'desk-token-for-the-example-tests';
const PHONE = '+15550007777';
let mock: MockConnectlyServer;
let app: INestApplication;
let appUrl: string;
let customer: MockCustomer;

const invokes = (): Array<{ inputEvents: unknown[] }> =>
  mock.requests.filter((r) => r.endpoint === 'invoke').map((r) => r.body as { inputEvents: unknown[] });

/** Posts a delivery from the customer, signed as Connectly signs it, made now unless `timestamp` says otherwise. */
function deliver(payload: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify({
    timestamp: String(Math.floor(Date.now() / 1000)),
    sender: { id: PHONE, channelType: 'whatsapp' },
    recipient: { id: '+15550100000', channelType: 'whatsapp' },
    ...payload,
  });
  return fetch(`${appUrl}/connectly/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'x-connectly-hmac-sha256': signWebhook(body, SECRET) },
    body,
  });
}

async function waitFor(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  mock = new MockConnectlyServer({
    apiKey: 'example-key',
    businessId: 'biz-wa',
    messaging: { webhookSecret: SECRET, timeScale: 0.001 },
  });
  Object.assign(process.env, {
    CONNECTLY_BASE_URL: await mock.start(),
    CONNECTLY_API_KEY: 'example-key',
    CONNECTLY_BUSINESS_ID: 'biz-wa',
    CONNECTLY_WEBHOOK_SECRET: SECRET,
    DESK_TOKEN,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  appUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // What the app does at startup when PUBLIC_URL is set: register its webhook at Connectly.
  process.env['PUBLIC_URL'] = appUrl;
  await app.get(ConversationsService).onApplicationBootstrap();
  customer = mock.customer(PHONE, { name: 'Ana' });
});

afterAll(async () => {
  await app.close();
  await mock.stop();
  for (const name of [
    'CONNECTLY_BASE_URL',
    'CONNECTLY_API_KEY',
    'CONNECTLY_BUSINESS_ID',
    'CONNECTLY_WEBHOOK_SECRET',
    'DESK_TOKEN',
    'PUBLIC_URL',
  ]) {
    delete process.env[name];
  }
});

describe('the WhatsApp loop in a Nest app', () => {
  it('registered its webhook at startup, with echoes on', () => {
    expect([...mock.messaging.webhooks.values()]).toEqual([
      expect.objectContaining({
        topic: 'messages',
        address: `${appUrl}/connectly/webhook`,
        configuration: expect.objectContaining({ echo: true }),
      }),
    ]);
  });

  it('answers "I want a festive gift" with the agent reply as WhatsApp messages in the documented shape', async () => {
    const delivery = await customer.says('I want a festive gift');
    expect(delivery.attempts).toEqual([{ status: 200 }]);
    await app.get(ConnectlyConversations).idle();
    const received = customer.received.map((m) => m.message);
    expect(received).toEqual(festiveGiftMessages());
    expect(invokes()).toHaveLength(1);
  });

  it('marks every message it sends as automated, so their echoes hold nothing', async () => {
    await waitFor('the echoes of the reply', () => mock.messaging.deliveries.every((d) => d.outcome !== 'pending'));
    expect(customer.received.map((m) => m.callbackData)).toEqual(
      customer.received.map(() => ({ connectlySentBy: 'automation' })),
    );
    expect(await app.get(ConnectlyConversations).isHeld(PHONE)).toBe(false);
  });

  it('feeds a tap on a suggestion back to the agent as the full question', async () => {
    await customer.taps('sugg:1');
    await app.get(ConnectlyConversations).idle();
    expect(invokes().at(-1)?.inputEvents).toEqual([
      { messageEvent: { role: 'USER', content: { textContent: { text: 'What is your return policy?' } } } },
    ]);
  });

  it('feeds a tap on a suggestion of an OLDER message back as the question that message offered', async () => {
    // The tap above got a reply whose suggestions reuse the same ids; the customer scrolls up and taps the first reply's.
    const offering = (text: string) => customer.received.filter((m) => JSON.stringify(m.message).includes(text));
    const older = offering('What is your return…').at(-1);
    const newest = offering('"sugg:1"').at(-1);
    expect(older).toBeDefined();
    expect(newest?.id).not.toBe(older?.id);
    const response = await deliver({
      context: { replyToId: older?.id },
      buttonResponse: { text: 'What is your return…', payload: 'sugg:1' },
    });
    expect(response.status).toBe(200);
    await app.get(ConnectlyConversations).idle();
    expect(invokes().at(-1)?.inputEvents).toEqual([
      { messageEvent: { role: 'USER', content: { textContent: { text: 'What is your return policy?' } } } },
    ]);
  });

  it('refuses a tampered signature with 401 and starts no turn', async () => {
    const before = invokes().length;
    const body = JSON.stringify({
      sender: { id: PHONE, channelType: 'whatsapp' },
      message: { text: 'I want a festive gift' },
    });
    const response = await fetch(`${appUrl}/connectly/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'x-connectly-hmac-sha256': signWebhook(`${body} `, SECRET),
      },
      body,
    });
    expect(response.status).toBe(401);
    await customer.says('hello');
    await app.get(ConnectlyConversations).idle();
    expect(invokes()).toHaveLength(before + 1);
  });

  it('takes a redelivered webhook once', async () => {
    const before = invokes().length;
    const first = await customer.says('menu please');
    const again = await mock.messaging.redeliver(first).settled;
    expect(again.attempts).toEqual([{ status: 200 }]);
    await customer.says('good morning');
    await app.get(ConnectlyConversations).idle();
    expect(invokes()).toHaveLength(before + 2);
  });

  it('hands over to a human, keeps later messages with the human until released, then resumes with what the human said', async () => {
    const desk = app.get(HandoverDesk);
    const conversations = app.get(ConnectlyConversations);
    // The human desk's chat: a Slack-style incoming webhook on loopback.
    const posted: unknown[] = [];
    const slack = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        posted.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    process.env['HUMAN_NOTIFY_URL'] = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/hooks/desk`;
    const sentBefore = customer.received.length;
    try {
      await customer.says('Can I talk to a human?');
      await conversations.idle();
    } finally {
      delete process.env['HUMAN_NOTIFY_URL'];
      await new Promise((resolve) => slack.close(resolve));
    }
    expect(await conversations.isHeld(PHONE)).toBe(true);
    expect(posted).toEqual([
      {
        text: `*${PHONE}* (handover): The customer asked to talk to a human.`,
      },
    ]);
    expect(customer.received.slice(sentBefore).map((m) => m.message)).toEqual([
      { text: "Of course: I'm connecting you with a teammate now. They'll see this conversation." },
    ]);
    expect(desk.notifications.at(-1)).toEqual({
      clientKey: PHONE,
      kind: 'handover',
      text: 'The customer asked to talk to a human.',
    });

    // A teammate answers from the Connectly inbox; the echo tells the app what was said.
    const invokesWhileHeld = invokes().length;
    await app
      .get(ConnectlyMessagingService)
      .sendMessage({ to: PHONE, message: { text: 'Hi Ana, Sam here. Gift wrap is free!' } });
    await waitFor('the echo of the human message', () => mock.messaging.deliveries.at(-1)?.outcome === 'delivered');
    await customer.says('Great, thanks!');
    await conversations.idle();
    expect(desk.notifications.at(-1)).toEqual({ clientKey: PHONE, kind: 'customer-message', text: 'Great, thanks!' });
    expect(invokes()).toHaveLength(invokesWhileHeld);

    const released = await fetch(`${appUrl}/handover/${encodeURIComponent(PHONE)}/release`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DESK_TOKEN}` },
    });
    expect(await released.json()).toEqual({ released: true, pendingEvents: 2 });
    // On resumption the agent hears what was said meanwhile, in order: the person's reply, then the customer's.
    await conversations.idle();
    expect(invokes().at(-1)?.inputEvents).toEqual([
      {
        messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'Hi Ana, Sam here. Gift wrap is free!' } } },
      },
      { messageEvent: { role: 'USER', content: { textContent: { text: 'Great, thanks!' } } } },
    ]);
    const count = customer.received.length;
    await customer.says('Show me gift ideas');
    await conversations.idle();
    expect(customer.received.length).toBeGreaterThan(count);
    expect(invokes().at(-1)?.inputEvents).toEqual([
      { messageEvent: { role: 'USER', content: { textContent: { text: 'Show me gift ideas' } } } },
    ]);
  });

  it('refuses unsigned requests with 401 and at most one warning line, whatever their content type', async () => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const before = invokes().length;
    try {
      const body = JSON.stringify({ sender: { id: PHONE, channelType: 'whatsapp' }, message: { text: 'forged' } });
      for (const [type, text] of [
        ['application/json', body],
        ['application/x-www-form-urlencoded', 'sender=%2B15550007777&message=forged'],
        ['text/plain; charset=utf-8', body],
      ] as const) {
        warned.mockClear();
        const response = await fetch(`${appUrl}/connectly/webhook`, {
          method: 'POST',
          headers: { 'content-type': type },
          body: text,
        });
        expect([type, response.status]).toEqual([type, 401]);
        expect(warned.mock.calls.length).toBeLessThanOrEqual(1);
      }
      // A made-up signature on a body a parser already read is unreadable, not an error of the app.
      const signedJson = await fetch(`${appUrl}/connectly/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-connectly-hmac-sha256': signWebhook(body, 'guess') },
        body,
      });
      expect(signedJson.status).toBe(401);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      warned.mockRestore();
      errors.mockRestore();
    }
    expect(invokes()).toHaveLength(before);
  });

  it('refuses a captured delivery replayed after the accepted age (5 minutes) with 400 and starts no turn', async () => {
    const before = invokes().length;
    // The delivery of the messaging reference's worked example, made in 2021.
    const response = await deliver({ timestamp: '1639083206', message: { text: 'I want a festive gift' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ outcome: 'refused-stale' });
    await app.get(ConnectlyConversations).idle();
    expect(invokes()).toHaveLength(before);
  });

  it('hands a conversation back to the bot only for the desk: the release wants the DESK_TOKEN bearer', async () => {
    const conversations = app.get(ConnectlyConversations);
    await app.get(ConnectlyMessagingService).sendMessage({ to: PHONE, message: { text: 'Sam from the desk here.' } });
    for (let i = 0; i < 500 && !(await conversations.isHeld(PHONE)); i += 1)
      await new Promise((r) => setTimeout(r, 10));
    const release = (headers: Record<string, string>) =>
      fetch(`${appUrl}/handover/${encodeURIComponent(PHONE)}/release`, { method: 'POST', headers });
    const refused: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: DESK_TOKEN },
    ];
    for (const headers of refused) {
      expect((await release(headers)).status).toBe(401);
      expect(await conversations.isHeld(PHONE)).toBe(true);
    }
    const released = await release({ authorization: `Bearer ${DESK_TOKEN}` });
    expect(released.status).toBe(200);
    expect(await conversations.isHeld(PHONE)).toBe(false);
  });
});
