// The WhatsApp side of the Connectly node over real HTTP against the mock: Message → Send (a text, the
// agent's whole reply in the documented shapes and in order, the 24-hour window), and the handover hold
// (held messages to the Handover output, Record Human Reply, Release) with what the agent hears on resume.
import { inspect } from 'node:util';
import { MockConnectlyServer, type MockCustomer } from 'connectly-agent-graph-mock';
import { type IDataObject, NodeOperationError } from 'n8n-workflow';
import { runNode } from './harness';
import { sendMessage } from './parameters';
import { processConversationState } from '../../nodes/Connectly/shared/conversation-state';
import { festiveGiftMessages } from '../support/whatsapp';

const KEY = 'n8n-whatsapp-key-DISTINCTIVE-5520';
const AUTOMATED = { connectlySentBy: 'automation' };
let mock: MockConnectlyServer;
let credentials: { apiKey: string; businessId: string; baseUrl: string };
let messagingCredentials: IDataObject;

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz', messaging: { webhookSecret: 'secret' } });
  credentials = { apiKey: KEY, businessId: 'biz', baseUrl: await mock.start() };
  messagingCredentials = { ...credentials, webhookSecret: 'secret' };
});
beforeEach(() => mock.reset());
afterEach(() => mock.waitForIdle(3000).catch(() => undefined));
afterAll(() => mock.stop());

/** A customer who wrote just now, so the 24-hour window is open. */
function customer(phone: string): MockCustomer {
  mock.messaging.noteInbound('biz', phone);
  return mock.messaging.customer(phone, { businessId: 'biz' });
}

const invokes = (): Array<{ clientKey: string; inputEvents: unknown[] }> =>
  mock.requests
    .filter((r) => r.endpoint === 'invoke')
    .map((r) => r.body as { clientKey: string; inputEvents: unknown[] });

const messageSend = (to: string, more: IDataObject = {}): IDataObject => ({
  resource: 'message',
  operation: 'send',
  to,
  content: 'agentReply',
  options: {},
  ...more,
});

const user = (text: string) => ({ messageEvent: { role: 'USER', content: { textContent: { text } } } });
const assistant = (text: string) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } });

async function agentReply(clientKey: string, text: string, more: IDataObject = {}): Promise<IDataObject> {
  const { outputs } = await runNode(sendMessage(clientKey, text, { holdOnHandover: false, ...more }), { credentials });
  return outputs[0]?.[0]?.json as IDataObject;
}

describe('Message → Send', () => {
  it('sends a text with the automation mark and outputs its message id', async () => {
    const ana = customer('+15550001001');
    const { outputs } = await runNode(messageSend(ana.phone, { content: 'text', text: 'Your order shipped' }), {
      credentials,
      messagingCredentials,
    });
    expect(ana.received).toEqual([
      expect.objectContaining({ message: { text: 'Your order shipped' }, callbackData: AUTOMATED }),
    ]);
    expect(outputs[0]).toEqual([
      { json: { to: ana.phone, messageIds: [ana.received[0]?.id] }, pairedItem: { item: 0 } },
    ]);
  });

  it("sends the agent's whole reply item as WhatsApp messages in the documented shapes, in order, each marked", async () => {
    const ana = customer('+15550001002');
    const reply = await agentReply(ana.phone, 'I want a festive gift');
    const { outputs } = await runNode(messageSend(ana.phone), {
      credentials,
      messagingCredentials,
      input: [reply],
    });
    expect(ana.received.map((m) => m.message)).toEqual(festiveGiftMessages());
    expect(ana.received.map((m) => m.callbackData)).toEqual([AUTOMATED, AUTOMATED, AUTOMATED]);
    expect(outputs[0]?.[0]?.json).toEqual({
      to: ana.phone,
      messageIds: ana.received.map((m) => m.id),
      unmapped: [],
      adjusted: [],
      choices: expect.objectContaining({ 'sugg:1': { kind: 'suggestion', text: 'What is your return policy?' } }),
      handover: false,
    });
  });

  it("says a reply item's handover was sent, when the item carries it as its flag only (no raw events)", async () => {
    const ana = customer('+15550001013');
    const { outputs: agentOutputs } = await runNode(
      sendMessage(ana.phone, 'Can I talk to a human?', { holdOnHandover: false }),
      { credentials },
    );
    const reply = [...(agentOutputs[0] ?? []), ...(agentOutputs[1] ?? [])][0]?.json as IDataObject;
    expect(reply).toEqual(expect.objectContaining({ handover: true }));
    expect(reply['events']).toBeUndefined();
    const { outputs } = await runNode(messageSend(ana.phone), { credentials, messagingCredentials, input: [reply] });
    expect(outputs[0]?.[0]?.json).toEqual(expect.objectContaining({ handover: true }));
  });

  it("hands n8n's helper no API key header, only addresses under the credential's base URL: the credential adds the key", async () => {
    const ana = customer('+15550001012');
    const agent = await runNode(sendMessage(ana.phone, 'I want a festive gift', { holdOnHandover: false }), {
      credentials,
    });
    const send = await runNode(messageSend(ana.phone), {
      credentials,
      messagingCredentials,
      input: [agent.outputs[0]?.[0]?.json as IDataObject],
    });
    expect(ana.received).toHaveLength(3);
    const requests = [...agent.helperRequests, ...send.helperRequests];
    expect(new Set(requests.map((r) => r.credential))).toEqual(new Set(['connectlyApi', 'connectlyMessagingApi']));
    for (const { url, headers } of requests) {
      expect(url.startsWith(`${credentials.baseUrl}/`)).toBe(true);
      expect(Object.keys(headers).map((name) => name.toLowerCase())).not.toContain('x-api-key');
      expect(JSON.stringify(headers)).not.toContain(KEY);
    }
  });

  /** The Connectly Trigger's item for a tap on `id` (titled `title`) of the message `replyToId`. */
  const tapItem = (clientKey: string, id: string, title: string, replyToId: string | undefined): IDataObject => ({
    kind: 'button',
    clientKey,
    text: title,
    buttonId: id,
    ...(replyToId ? { replyToId } : {}),
    inputEvents: [{ buttonResponseEvent: { id, title } }],
  });
  const eventsItem = (...events: Array<[string, unknown]>): IDataObject => ({
    events: events.map(([type, payload]) => ({ type, [type]: payload, known: true })),
  });
  const offering = (ana: MockCustomer, id: string) =>
    ana.received.filter((m) => JSON.stringify(m.message).includes(`"${id}"`));

  it('a tap on a suggestion of an older message reaches the agent as the question THAT message offered', async () => {
    const ana = customer('+15550001010');
    const suggestions = (...suggestedQuestions: string[]) =>
      eventsItem(['chatSuggestionEvent', { suggestedQuestions }]);
    const send = (item: IDataObject) =>
      runNode(messageSend(ana.phone), { credentials, messagingCredentials, input: [item] });
    await send(suggestions('Do you gift-wrap?', 'What is your return policy?'));
    await send(suggestions('Show me gift ideas', 'Talk to a human'));
    const [older, newer] = offering(ana, 'sugg:1');
    expect(newer?.id).toBeDefined();
    mock.reset();
    const tap = (replyToId: string | undefined, title: string) =>
      runNode(sendMessage(ana.phone, title, { holdOnHandover: false }), {
        credentials,
        input: [tapItem(ana.phone, 'sugg:1', title, replyToId)],
      });
    await tap(older?.id, 'What is your return…');
    await tap(newer?.id, 'Talk to a human');
    expect(invokes().map((body) => body.inputEvents)).toEqual([
      [user('What is your return policy?')],
      [user('Talk to a human')],
    ]);
  });

  it('keeps choices by the message that offered them: a list row offered again is known by its newest offer', async () => {
    const ana = customer('+15550001011');
    const list = (rows: Array<{ id: string; text: string; description?: string }>) =>
      eventsItem(['connectlyInteractiveEvent', { interactive: { listMessage: { sections: [{ rows }] } } }]);
    const rows = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ id: `row-${from + i}`, text: `Row ${from + i}` }));
    const wrap = { id: 'gift-wrap', text: 'Gift wrapping for the whole order', description: 'Free' };
    const send = (item: IDataObject) =>
      runNode(messageSend(ana.phone), { credentials, messagingCredentials, input: [item] });
    await send(list([wrap, ...rows(0, 9)]));
    for (let i = 1; i < 5; i += 1) await send(list(rows(i * 10, 10)));
    // Five lists offered; the row is offered again, then one more offer comes after it.
    await send(list([wrap]));
    await send(list(rows(100, 1)));
    const again = offering(ana, 'gift-wrap').at(-1);
    mock.reset();
    await runNode(sendMessage(ana.phone, 'Gift wrapping for…', { holdOnHandover: false }), {
      credentials,
      input: [tapItem(ana.phone, 'gift-wrap', 'Gift wrapping for…', again?.id)],
    });
    expect(invokes().map((body) => body.inputEvents)).toEqual([
      [{ listReplyEvent: { id: 'gift-wrap', title: 'Gift wrapping for the whole order', description: 'Free' } }],
    ]);
  });

  it("a tapped suggestion reaches the agent as the whole question, not WhatsApp's cut title", async () => {
    const ana = customer('+15550001009');
    const reply = await agentReply(ana.phone, 'I want a festive gift');
    await runNode(messageSend(ana.phone), { credentials, messagingCredentials, input: [reply] });
    // The Connectly Trigger's item for the tap, passed on by Text = {{ $json.text }} or Events = {{ $json.inputEvents }}.
    const title = 'What is your return…';
    const tap = {
      kind: 'button',
      clientKey: ana.phone,
      text: title,
      buttonId: 'sugg:1',
      inputEvents: [{ buttonResponseEvent: { id: 'sugg:1', title } }],
    };
    mock.reset();
    await runNode(sendMessage(ana.phone, title, { holdOnHandover: false }), { credentials, input: [tap] });
    await runNode(
      sendMessage(ana.phone, '', {
        holdOnHandover: false,
        inputType: 'events',
        inputEvents: JSON.stringify(tap.inputEvents),
      }),
      { credentials, input: [tap] },
    );
    // A text the user wrote, even on a tap's item, is sent as written.
    await runNode(sendMessage(ana.phone, 'Something else', { holdOnHandover: false }), { credentials, input: [tap] });
    expect(invokes().map((body) => body.inputEvents)).toEqual([
      [user('What is your return policy?')],
      [user('What is your return policy?')],
      [user('Something else')],
    ]);
  });

  it('with the raw events, keeps the agent order and reports what has no WhatsApp form on the item', async () => {
    const ana = customer('+15550001003');
    const reply = await agentReply(ana.phone, 'I want a festive gift', { options: { rawEvents: true } });
    const events = [
      ...(reply['events'] as IDataObject[]),
      { type: 'xStoryEvent', known: false, xStoryEvent: { id: 7 } },
    ];
    const { outputs } = await runNode(messageSend(ana.phone), {
      credentials,
      messagingCredentials,
      input: [{ ...reply, events }],
    });
    expect(ana.received).toHaveLength(3);
    expect(outputs[0]?.[0]?.json['unmapped']).toEqual([
      { type: 'xStoryEvent', reason: expect.stringContaining('not known'), xStoryEvent: { id: 7 } },
    ]);
  });

  it('sends an item of One Item per Event on its own', async () => {
    const ana = customer('+15550001008');
    const { outputs: events } = await runNode(sendMessage(ana.phone, 'I want a festive gift', { output: 'events' }), {
      credentials,
    });
    const { outputs } = await runNode(messageSend(ana.phone), {
      credentials,
      messagingCredentials,
      input: (events[0] ?? []).map((item) => item.json),
    });
    expect(ana.received.map((m) => m.message)).toEqual([
      { text: 'Here are a few festive ideas she might love:' },
      { text: expect.stringMatching(/^• Aurora Silk Scarf/) },
      expect.objectContaining({ text: 'Choose an option', replyButtonMessage: expect.any(Object) }),
    ]);
    expect(outputs[0]?.map((item) => (item.json['messageIds'] as string[]).length)).toEqual([1, 1, 1]);
  });

  it('keeps your callback data beside the mark', async () => {
    const ana = customer('+15550001004');
    await runNode(
      messageSend(ana.phone, { content: 'text', text: 'Hi', options: { callbackData: '{ "orderId": "A-17" }' } }),
      { credentials, messagingCredentials },
    );
    expect(ana.received[0]?.callbackData).toEqual({ orderId: 'A-17', ...AUTOMATED });
  });

  it('names the fix for the closed 24-hour window (a template), and never shows the key', async () => {
    const ana = customer('+15550001005').silentFor(25 * 60 * 60 * 1000);
    const error = await runNode(messageSend(ana.phone, { content: 'text', text: 'Still there?' }), {
      credentials,
      messagingCredentials,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect((error as NodeOperationError).message).toBe(
      `${ana.phone} last wrote more than 24 hours ago: WhatsApp's 24-hour window is closed, so only an approved template can reach them`,
    );
    expect((error as NodeOperationError).description).toMatch(/^Send an approved WhatsApp template instead/);
    expect(`${JSON.stringify(error)} ${inspect(error, { depth: 20 })}`).not.toContain(KEY);
    expect(ana.received).toEqual([]);
  });

  it("knows the window closed from the trigger's record and refuses before any request, naming the template", async () => {
    const ana = customer('+15550001015');
    // What the Connectly Trigger of this process noted when the customer last wrote, 25 hours ago.
    await processConversationState('biz').noteInbound({
      kind: 'message',
      clientKey: ana.phone,
      customer: { id: ana.phone },
      timestamp: String(Math.floor((Date.now() - 25 * 60 * 60 * 1000) / 1000)),
      attachments: [],
      payload: {},
    } as unknown as Parameters<ReturnType<typeof processConversationState>['noteInbound']>[0]);
    const error = await runNode(messageSend(ana.phone, { content: 'text', text: 'Still there?' }), {
      credentials,
      messagingCredentials,
    }).catch((e: unknown) => e);
    expect((error as NodeOperationError).message).toBe(
      `${ana.phone} last wrote more than 24 hours ago: WhatsApp's 24-hour window is closed, so only an approved template can reach them`,
    );
    expect(ana.received).toEqual([]);
  });

  it('says a customer who never wrote needs a template too, and keeps other API errors with their fix', async () => {
    const never = await runNode(messageSend('+15550001999', { content: 'text', text: 'Hello' }), {
      credentials,
      messagingCredentials,
    }).then(
      () => undefined,
      (e: unknown) => e as NodeOperationError,
    );
    expect(never?.message).toMatch(/has never written to this business, so only an approved template can reach them/);
    const badNumber = await runNode(messageSend('not a number', { content: 'text', text: 'Hello' }), {
      credentials,
      messagingCredentials,
    }).then(
      () => undefined,
      (e: unknown) => e as NodeOperationError,
    );
    expect(badNumber?.message).toMatch(/ERROR_CODE_PHONE_NUMBER_BAD_FORMAT.*E\.164/);
  });

  it('refuses an input with no agent reply, an empty text or an empty To before any request', async () => {
    const ana = customer('+15550001006');
    const cases: Array<[IDataObject, IDataObject[], RegExp]> = [
      [messageSend(ana.phone), [{ hello: 'world' }], /holds no agent reply/],
      // A customer's own message (the Trigger's, or a held one) is never sent back as the agent's.
      [messageSend(ana.phone), [{ clientKey: ana.phone, kind: 'message', text: 'Hi' }], /holds no agent reply/],
      [messageSend(ana.phone), [{ clientKey: ana.phone, held: true, text: 'Hello?' }], /holds no agent reply/],
      [messageSend(ana.phone, { content: 'text', text: ' ' }), [{}], /Text is empty/],
      [messageSend(' ', { content: 'text', text: 'Hi' }), [{}], /To is empty/],
      [messageSend(ana.phone, { content: 'text', text: 'Hi', options: { callbackData: '{' } }), [{}], /Callback Data/],
    ];
    for (const [parameters, input, message] of cases) {
      await expect(runNode(parameters, { credentials, messagingCredentials, input })).rejects.toThrow(message);
    }
    expect(mock.requests).toEqual([]);
  });

  it('a reply stopped by a 500 lists the message that may have gone out apart from those never sent', async () => {
    const ana = customer('+15550001018');
    const reply = await agentReply(ana.phone, 'I want a festive gift');
    let sends = 0;
    const failSecond = (request: { path: string }): void => {
      if (request.path.endsWith('/send/messages') && ++sends === 2) {
        mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 500 });
      }
    };
    mock.on('request', failSecond);
    const { outputs } = await runNode(messageSend(ana.phone), {
      credentials,
      messagingCredentials,
      input: [reply],
      continueOnFail: true,
    }).finally(() => mock.off('request', failSecond));
    const [first, second, third] = festiveGiftMessages();
    expect(outputs[0]?.[0]?.json).toMatchObject({
      error: expect.stringMatching(/1 of 3 messages sent, 1 that may have been sent/),
      messageIds: [ana.received[0]?.id],
      outcomeUnknown: [second],
      unsent: [third],
    });
    expect(ana.received.map((m) => m.message)).toEqual([first]);
  });

  it('with Continue On Fail, an error item names the customer and the other items still go out', async () => {
    const ana = customer('+15550001007');
    const { outputs } = await runNode(
      (i) => messageSend(i === 0 ? '+15550001998' : ana.phone, { content: 'text', text: `message ${i}` }),
      { credentials, messagingCredentials, continueOnFail: true, items: 2 },
    );
    expect(outputs[0]?.[0]?.json).toMatchObject({ error: expect.stringMatching(/template/), to: '+15550001998' });
    expect(outputs[0]?.[1]?.json).toEqual({ to: ana.phone, messageIds: [ana.received[0]?.id] });
  });
});

describe('a handover that holds', () => {
  it('holds on handover; later messages go to the Handover output, not the agent, until Release; the agent then hears everything said meanwhile', async () => {
    const phone = '+15550002001';
    const handover = await runNode(sendMessage(phone, 'Can I talk to a human?'), { credentials });
    expect(handover.outputs[1]).toEqual([
      expect.objectContaining({
        json: expect.objectContaining({
          type: 'agentHandoverEvent',
          reason: 'The customer asked to talk to a human.',
          held: true,
        }),
      }),
    ]);
    // Each run says what it did, as custom data the Executions list shows and filters by.
    expect(handover.customData).toEqual({ Connectly: 'handed over to a person' });
    const sessionId = handover.outputs[0]?.[0]?.json['sessionId'];
    const invokesBefore = invokes().length;

    const held = await runNode(sendMessage(phone, 'Hello? Anyone there?'), { credentials });
    expect(held.outputs[0]).toEqual([]);
    expect(held.outputs[1]).toEqual([
      {
        json: {
          clientKey: phone,
          text: 'Hello? Anyone there?',
          held: true,
          reason: 'The customer asked to talk to a human.',
          heldSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          heldUntil: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          pendingEvents: 1,
          inputEvents: [user('Hello? Anyone there?')],
        },
        pairedItem: { item: 0 },
      },
    ]);
    expect(invokes()).toHaveLength(invokesBefore);
    // Not shown as having asked the agent: the run says it held the message, and the node's output says why.
    expect(held.customData).toEqual({ Connectly: 'held for a person' });
    expect(held.hints).toEqual([
      {
        message: expect.stringMatching(/^The agent was not asked: a person has this conversation/),
        location: 'outputPane',
      },
    ]);

    // A teammate's message from Connectly's inbox, as the Connectly Trigger's Human Agent output gives it.
    const record = await runNode(
      {
        resource: 'session',
        operation: 'recordHumanReply',
        clientKey: phone,
        text: 'Hi, Sam here. Gift wrap is free!',
      },
      { credentials },
    );
    expect(record.outputs[0]?.[0]?.json).toMatchObject({
      clientKey: phone,
      recorded: true,
      held: true,
      pendingEvents: 2,
    });
    expect(record.customData).toEqual({ Connectly: 'teammate replied' });
    expect(invokes()).toHaveLength(invokesBefore);

    const release = await runNode(
      { resource: 'session', operation: 'release', clientKey: phone, resumeWith: 'nextMessage', options: {} },
      { credentials },
    );
    expect(release.outputs[0]?.[0]?.json).toEqual({
      clientKey: phone,
      released: true,
      pendingEvents: 2,
      sentEvents: 0,
    });
    expect(release.customData).toEqual({ Connectly: 'handed back to the agent' });
    expect(invokes()).toHaveLength(invokesBefore);

    const resumed = await runNode(sendMessage(phone, 'Show me gift ideas'), { credentials });
    expect(invokes().at(-1)).toMatchObject({
      sessionId,
      inputEvents: [
        user('Hello? Anyone there?'),
        assistant('Hi, Sam here. Gift wrap is free!'),
        user('Show me gift ideas'),
      ],
    });
    expect(resumed.outputs[0]?.[0]?.json).toMatchObject({ text: 'Here are a few festive ideas she might love:' });
    expect(resumed.outputs[1]).toEqual([]);
    expect(resumed.customData).toEqual({ Connectly: 'agent replied' });
  });

  it("a person's reply alone holds the conversation, and Release → Now sends what they said at once", async () => {
    const phone = '+15550002002';
    await runNode(sendMessage(phone, 'Hi'), { credentials });
    await runNode(
      { resource: 'session', operation: 'recordHumanReply', clientKey: phone, text: 'Sam here' },
      { credentials },
    );
    const held = await runNode(sendMessage(phone, 'Thanks Sam'), { credentials });
    expect(held.outputs[1]?.[0]?.json).toMatchObject({ held: true, reason: 'human-reply', text: 'Thanks Sam' });

    const before = invokes().length;
    const release = await runNode(
      { resource: 'session', operation: 'release', clientKey: phone, resumeWith: 'now', options: {} },
      { credentials },
    );
    expect(invokes()).toHaveLength(before + 1);
    expect(invokes().at(-1)?.inputEvents).toEqual([assistant('Sam here'), user('Thanks Sam')]);
    expect(release.outputs[0]?.[0]?.json).toMatchObject({
      clientKey: phone,
      released: true,
      pendingEvents: 0,
      sentEvents: 2,
      text: expect.any(String),
      sessionId: expect.any(String),
    });
    // Nothing is sent twice: the next message carries only itself.
    await runNode(sendMessage(phone, 'Show me gift ideas'), { credentials });
    expect(invokes().at(-1)?.inputEvents).toEqual([user('Show me gift ideas')]);
  });

  it('a turn refused before Connectly took it keeps what was said meanwhile for the next one', async () => {
    const phone = '+15550002005';
    await runNode(
      { resource: 'session', operation: 'recordHumanReply', clientKey: phone, text: 'Sam here' },
      { credentials },
    );
    await runNode(
      { resource: 'session', operation: 'release', clientKey: phone, resumeWith: 'nextMessage', options: {} },
      { credentials },
    );
    const refused = await runNode(sendMessage(phone, '', { inputType: 'events', inputEvents: '[42]' }), {
      credentials,
      continueOnFail: true,
    });
    expect(refused.outputs[0]?.[0]?.json).toMatchObject({
      error: expect.stringMatching(/inputEvents/),
      resumedEvents: [assistant('Sam here')],
    });
    expect(invokes()).toEqual([]);
    await runNode(sendMessage(phone, 'Show me gift ideas'), { credentials });
    expect(invokes().at(-1)?.inputEvents).toEqual([assistant('Sam here'), user('Show me gift ideas')]);
  });

  it('a reply due after a person took the conversation is not sent: held back whole, said so on the item', async () => {
    const ana = customer('+15550002006');
    const reply = await agentReply(ana.phone, 'I want a festive gift');
    // A teammate answers from the inbox while the reply is on its way.
    await runNode(
      { resource: 'session', operation: 'recordHumanReply', clientKey: ana.phone, text: 'Sam here' },
      { credentials },
    );
    const { outputs } = await runNode(messageSend(ana.phone), { credentials, messagingCredentials, input: [reply] });
    expect(ana.received).toEqual([]);
    expect(outputs[0]?.[0]?.json).toMatchObject({
      to: ana.phone,
      messageIds: [],
      held: true,
      withheld: 3,
      reason: 'human-reply',
    });
    // A text the workflow writes itself still goes: it is the workflow's own decision.
    await runNode(messageSend(ana.phone, { content: 'text', text: 'A teammate is with you' }), {
      credentials,
      messagingCredentials,
    });
    expect(ana.received.map((m) => m.message)).toEqual([{ text: 'A teammate is with you' }]);
  });

  it("the reply announcing the agent's own handover goes out although the handover holds the conversation", async () => {
    const ana = customer('+15550002007');
    const { outputs: agentOutputs } = await runNode(sendMessage(ana.phone, 'Can I talk to a human?'), { credentials });
    const reply = [...(agentOutputs[0] ?? []), ...(agentOutputs[1] ?? [])][0]?.json as IDataObject;
    expect(reply).toEqual(expect.objectContaining({ handover: true }));
    expect(await processConversationState('biz').hold(ana.phone)).toMatchObject({ by: 'agent' });
    const { outputs } = await runNode(messageSend(ana.phone), { credentials, messagingCredentials, input: [reply] });
    expect(ana.received.map((m) => m.message)).toEqual([{ text: reply['text'] }]);
    expect(outputs[0]?.[0]?.json).not.toHaveProperty('held');
  });

  it('a turn in flight when a person takes the conversation over stops, and nothing of it comes out as a reply', async () => {
    const phone = '+15550002008';
    await runNode(sendMessage(phone, 'Hi', { holdOnHandover: false }), { credentials });
    // The agent starts answering, then goes quiet (until the client leaves).
    mock.inject({
      endpoint: 'invoke',
      events: [{ messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'Let me look' } } } }, {}],
      stall: 'body',
      afterEvents: 1,
    });
    const invokesBefore = invokes().length;
    const running = runNode(sendMessage(phone, 'Do you gift wrap?', { holdOnHandover: false }), { credentials });
    await new Promise<void>((resolve) => {
      const check = (): void => void (invokes().length > invokesBefore ? resolve() : setTimeout(check, 10));
      check();
    });
    await runNode(
      { resource: 'session', operation: 'recordHumanReply', clientKey: phone, text: 'Sam here' },
      { credentials },
    );
    const stopped = await running;
    expect(stopped.outputs[0]).toEqual([]);
    expect(stopped.outputs[1]).toEqual([
      expect.objectContaining({
        json: expect.objectContaining({ held: true, reason: 'human-reply', stoppedMidTurn: true }),
      }),
    ]);
    expect(stopped.customData).toEqual({ Connectly: 'held for a person' });
  });

  it('without Hold Conversation on Handover, a handover holds nothing (the default)', async () => {
    const phone = '+15550002003';
    await runNode(sendMessage(phone, 'Can I talk to a human?', { holdOnHandover: undefined }), { credentials });
    const next = await runNode(sendMessage(phone, 'Show me gift ideas', { holdOnHandover: undefined }), {
      credentials,
    });
    expect(next.outputs[0]).toHaveLength(1);
    expect(next.outputs[1]).toEqual([]);
  });

  it('Release of a conversation that is not held says so, and an empty Customer Key is refused before any request', async () => {
    const release = await runNode(
      { resource: 'session', operation: 'release', clientKey: '+15550002004', resumeWith: 'now', options: {} },
      { credentials },
    );
    expect(release.outputs[0]?.[0]?.json).toEqual({
      clientKey: '+15550002004',
      released: false,
      pendingEvents: 0,
      sentEvents: 0,
    });
    await expect(
      runNode({ resource: 'session', operation: 'recordHumanReply', clientKey: '', text: 'x' }, { credentials }),
    ).rejects.toThrow(/Customer Key is empty/);
    expect(mock.requests).toEqual([]);
  });
});
