// The Connectly node's execute() for every operation, over real HTTP against the mock server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { type IDataObject, type INodeParameters, NodeApiError, NodeOperationError } from 'n8n-workflow';
import { Connectly } from '../../nodes/Connectly/Connectly.node';
import { CUSTOM_API_CALLS } from '../../nodes/Connectly/shared/descriptions';
import { NODE, runNode } from './harness';
import { nodeOutputs, workflowOf } from './workflow-engine';

const KEY = 'n8n-node-key-DISTINCTIVE-4411';
let mock: MockConnectlyServer;
let credentials: { apiKey: string; businessId: string; baseUrl: string };

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz' });
  credentials = { apiKey: KEY, businessId: 'biz', baseUrl: await mock.start() };
});
beforeEach(() => mock.reset());
afterEach(() => mock.waitForIdle(3000).catch(() => undefined));
afterAll(() => mock.stop());

const send = (text: string, more: Record<string, unknown> = {}) => ({
  resource: 'agent',
  operation: 'sendMessage',
  clientKey: 'customer-1',
  sessionId: '',
  sessionMemory: 'new',
  inputType: 'text',
  text,
  output: 'reply',
  options: {},
  ...more,
});

async function startSession(): Promise<string> {
  const { outputs } = await runNode(
    { resource: 'session', operation: 'start', clientKey: 'customer-1', options: {} },
    { credentials },
  );
  return outputs[0]?.[0]?.json['sessionId'] as string;
}

function expectNoKey(value: unknown): void {
  expect(`${JSON.stringify(value)}\n${inspect(value, { depth: 20 })}`).not.toContain(KEY);
}

describe('the node description', () => {
  it('is usable as a tool, and needs connectlyApi (connectlyMessagingApi for Message)', () => {
    const { description } = new Connectly();
    expect(description.usableAsTool).toBe(true);
    expect(description.credentials).toEqual([
      { name: 'connectlyApi', required: true, displayOptions: { hide: { resource: ['message'] } } },
      { name: 'connectlyMessagingApi', required: true, displayOptions: { show: { resource: ['message'] } } },
    ]);
  });
});

describe('outputs that fit the operation', () => {
  const BOTH = ['Reply', 'Handover'];
  const ONE = ['main'];
  const cases: Array<[string, string, string[]]> = [
    ['agent', 'sendMessage', BOTH],
    ['agent', 'sendMessageAndWait', BOTH],
    ['session', 'release', BOTH],
    ['session', 'start', ONE],
    ['session', 'close', ONE],
    ['session', 'recordHumanReply', ONE],
    ['message', 'send', ONE],
    ['health', 'check', ONE],
  ];
  const shown = (parameters: IDataObject, typeVersion = 1.1) =>
    nodeOutputs(
      workflowOf({
        name: 'outputs',
        nodes: [{ ...NODE, typeVersion, parameters: parameters as INodeParameters }],
        connections: {},
      }),
      NODE.name,
    );

  it.each(cases)(
    '%s → %s shows %j, as n8n reads them from the parameters, in both versions',
    (resource, operation, names) => {
      expect(shown({ resource, operation })).toEqual(names);
      expect(shown({ resource, operation }, 1)).toEqual(names);
    },
  );

  it('a new node (Agent → Send Message, the defaults) shows Reply and Handover', () => {
    expect(shown({})).toEqual(BOTH);
  });

  it.each(cases)('%s → %s returns as many outputs as it shows', async (resource, operation, names) => {
    const run = await runNode({ resource, operation }, { credentials, continueOnFail: true, input: [{}] });
    expect(run.outputs).toHaveLength(names.length);
  });
});

describe('the action list', () => {
  const { description } = new Connectly();

  it('lists only what Connectly offers: no Custom API Call under any resource', () => {
    const lists = description.properties.filter((p) => p.name === 'resource' || p.name === 'operation');
    expect(lists).toHaveLength(5);
    for (const list of lists) {
      expect((list.options as Array<{ name: string }>).map((o) => o.name)).not.toContain('Custom API Call');
    }
  });

  it("the canvas subtitle is the picked operation's action, as the action list names it", () => {
    const body = /^=\{\{(.*)\}\}$/s.exec(description.subtitle ?? '')?.[1] ?? '';
    const subtitleFor = new Function('$parameter', `return ${body}`) as (parameter: IDataObject) => string;
    const actions = description.properties
      .filter((p) => p.name === 'operation')
      .flatMap((p) =>
        (p.options as Array<{ value: string; action: string }>).map((o) => ({
          resource: (p.displayOptions?.show?.['resource'] as string[])[0],
          operation: o.value,
          action: o.action,
        })),
      );
    expect(actions).toHaveLength(8);
    for (const { resource, operation, action } of actions) {
      expect(subtitleFor({ resource, operation })).toBe(action);
    }
    expect(subtitleFor({ resource: 'agent', operation: 'start' })).toBe('');
  });

  it("is not one n8n 2.41 adds its Custom API Call to: the default version is not the node's only one", () => {
    // n8n 2.41 (load-nodes-and-credentials.js, injectCustomApiCallOptions) adds the entry only when
    // `defaultVersion === undefined || defaultVersion === version`, for credentials with authenticate.
    expect(description.defaultVersion === undefined || description.defaultVersion === description.version).toBe(false);
  });
});

/** Whether a parameter shows in a node version, by its `@version` display option (a list, or `gte`). */
function shownIn(property: { displayOptions?: { show?: Record<string, unknown> } }, version: number): boolean {
  const versions = property.displayOptions?.show?.['@version'] as unknown[] | undefined;
  if (!versions) return true;
  return versions.some((v) =>
    typeof v === 'number' ? v === version : version >= (v as { _cnd: { gte: number } })._cnd.gte,
  );
}

describe('node versions', () => {
  const { description } = new Connectly();
  const defaultOf = (name: string, version: number, operation = 'sendMessage') =>
    description.properties
      .filter(
        (p) =>
          p.name === name &&
          (p.displayOptions?.show?.['operation'] as string[] | undefined)?.includes(operation) &&
          shownIn(p, version),
      )
      .map((p) => p.default);

  it('has versions 1 and 1.1, and a new workflow gets 1.1', () => {
    expect(description.version).toEqual([1, 1.1]);
    expect(description.defaultVersion).toBe(1.1);
  });

  it("version 1 keeps its empty Customer Key and Text and a new session every time; 1.1 reads a Chat Trigger's fields and remembers the session", () => {
    for (const operation of ['sendMessage', 'sendMessageAndWait']) {
      expect(defaultOf('text', 1, operation)).toEqual(['']);
      expect(defaultOf('sessionMemory', 1, operation)).toEqual(['new']);
      expect(defaultOf('clientKey', 1, operation)).toEqual(['']);
      expect(defaultOf('text', 1.1, operation)).toEqual(['={{ $json.chatInput }}']);
      expect(defaultOf('sessionMemory', 1.1, operation)).toEqual(['remember']);
      expect(defaultOf('clientKey', 1.1, operation)).toEqual(['={{ $json.sessionId }}']);
    }
    for (const operation of ['start', 'close']) {
      expect(defaultOf('clientKey', 1, operation)).toEqual(['']);
      expect(defaultOf('clientKey', 1.1, operation)).toEqual(['={{ $json.sessionId }}']);
    }
  });

  it('version 1: an empty Session ID with Session Memory unset starts a new session each time', async () => {
    const v1: IDataObject = send('hello', { clientKey: 'v1-customer' });
    delete v1['sessionMemory'];
    const first = await runNode(v1, { credentials, typeVersion: 1 });
    const second = await runNode(v1, { credentials, typeVersion: 1 });
    expect(second.outputs[0]?.[0]?.json['sessionId']).not.toBe(first.outputs[0]?.[0]?.json['sessionId']);
    expect(mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke', 'init', 'invoke']);
  });

  it('version 1: the whole-reply item carries the raw events, messages and handover events unless turned off', async () => {
    const sessionId = await startSession();
    const v1 = await runNode(send('I want a festive gift', { sessionId }), { credentials, typeVersion: 1 });
    expect(v1.outputs[0]?.[0]?.json).toMatchObject({ eventCount: 3, handovers: [] });
    expect(v1.outputs[0]?.[0]?.json['events']).toHaveLength(3);
    expect(v1.outputs[0]?.[0]?.json['messages']).toHaveLength(1);
    const off = await runNode(send('I want a festive gift', { sessionId, options: { rawEvents: false } }), {
      credentials,
      typeVersion: 1,
    });
    expect(off.outputs[0]?.[0]?.json['events']).toBeUndefined();
  });
});

describe('what a new user meets in the editor', () => {
  const { description } = new Connectly();
  const field = (name: string, operation = 'sendMessage', version = 1.1) =>
    description.properties.find(
      (p) =>
        p.name === name &&
        (p.displayOptions?.show?.['operation'] ?? [operation]).includes(operation) &&
        shownIn(p, version),
    );

  it('after a Chat Trigger, Text and Customer Key already read its chatInput and sessionId, with hints', () => {
    expect(field('text')).toMatchObject({
      default: '={{ $json.chatInput }}',
      hint: expect.stringContaining('Chat Trigger'),
    });
    expect(field('clientKey')).toMatchObject({
      default: '={{ $json.sessionId }}',
      hint: expect.stringContaining('same value for every message'),
    });
  });

  it('is found as agent, chat, chatbot, WhatsApp or handover, and names the Chat Trigger as its predecessor', () => {
    const codex = JSON.parse(readFileSync(join(__dirname, '../../nodes/Connectly/Connectly.node.json'), 'utf8'));
    expect(codex.alias.map((a: string) => a.toLowerCase())).toEqual(
      expect.arrayContaining(['agent', 'chat', 'chatbot', 'whatsapp', 'handover']),
    );
    expect(description.builderHint?.relatedNodes?.[0]?.nodeType).toBe('@n8n/n8n-nodes-langchain.chatTrigger');
  });
});

describe('Session → Start and Close', () => {
  it('starts a session and outputs its ID', async () => {
    const sessionId = await startSession();
    expect(mock.sessions.get(sessionId)).toMatchObject({ clientKey: 'customer-1', businessId: 'biz' });
  });

  it('closes a session', async () => {
    const sessionId = await startSession();
    const { outputs } = await runNode(
      { resource: 'session', operation: 'close', clientKey: 'customer-1', sessionId, options: {} },
      { credentials },
    );
    expect(outputs[0]).toEqual([
      { json: { sessionId, closed: true, clientKey: 'customer-1' }, pairedItem: { item: 0 } },
    ]);
    expect(mock.sessions.get(sessionId)?.closed).toBe(true);
  });
});

describe('Agent → Send Message', () => {
  it('without a session ID, starts one and outputs the whole reply with it', async () => {
    const { outputs } = await runNode(send('I want a festive gift'), { credentials });
    expect(outputs[1]).toEqual([]);
    expect(outputs[0]).toHaveLength(1);
    const reply = outputs[0]?.[0];
    expect(reply?.pairedItem).toEqual({ item: 0 });
    expect(reply?.json).toMatchObject({
      clientKey: 'customer-1',
      text: 'Here are a few festive ideas she might love:',
      handover: false,
      suggestions: ['Do you gift-wrap?', 'What is your return policy?', 'Talk to a human'],
      eventCount: 3,
    });
    expect(reply?.json['products']).toHaveLength(3);
    expect(mock.sessions.has(reply?.json['sessionId'] as string)).toBe(true);
    expect(mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke']);
  });

  it('sends the reply to output 0 and the handover to output 1', async () => {
    const sessionId = await startSession();
    const { outputs } = await runNode(send('Can I talk to a human?', { sessionId }), { credentials });
    expect(outputs[0]?.[0]?.json).toMatchObject({
      sessionId,
      handover: true,
      text: expect.stringContaining('teammate'),
    });
    expect(outputs[1]).toEqual([
      {
        json: {
          type: 'agentHandoverEvent',
          sessionId,
          clientKey: 'customer-1',
          handover: true,
          triggerHandover: true,
          reason: 'The customer asked to talk to a human.',
          reasonNative: 'O cliente pediu para falar com um humano.',
        },
        pairedItem: { item: 0 },
      },
    ]);
  });

  it('outputs one item per event when asked, handovers on output 1', async () => {
    const sessionId = await startSession();
    const { outputs } = await runNode(send('Can I talk to a human?', { sessionId, output: 'events' }), { credentials });
    expect(outputs[0]?.map((i) => i.json['type'])).toEqual(['messageEvent']);
    expect(outputs[0]?.[0]?.json['text']).toMatch(/teammate/);
    expect(outputs[1]?.map((i) => i.json['type'])).toEqual(['agentHandoverEvent']);
  });

  it('keeps each input item paired with its own outputs', async () => {
    const sessionId = await startSession();
    const texts = ['hello', 'talk to a human'];
    const { outputs } = await runNode((i) => send(texts[i] as string, { sessionId }), { credentials, items: 2 });
    expect(outputs[0]?.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
    expect(outputs[1]?.map((i) => i.pairedItem)).toEqual([{ item: 1 }]);
  });

  it('builds each event item with its fields in order, the payload itself under its kind, one pairedItem per input', async () => {
    const sessionId = await startSession();
    const texts = ['I want a festive gift', 'talk to a human'];
    const { outputs } = await runNode((i) => send(texts[i] as string, { sessionId, output: 'events' }), {
      credentials,
      items: 2,
    });
    const [message, recommendation, suggestion] = outputs[0] ?? [];
    expect(Object.keys(message?.json ?? {})).toEqual(['type', 'sessionId', 'clientKey', 'text', 'messageEvent']);
    expect(message?.json).toMatchObject({
      type: 'messageEvent',
      sessionId,
      clientKey: 'customer-1',
      text: 'Here are a few festive ideas she might love:',
      messageEvent: { content: { textContent: { text: 'Here are a few festive ideas she might love:' } } },
    });
    expect(Object.keys(recommendation?.json ?? {})).toEqual(['type', 'sessionId', 'clientKey', 'recommendationEvent']);
    expect((recommendation?.json['recommendationEvent'] as IDataObject)['products']).toHaveLength(3);
    expect(Object.keys(suggestion?.json ?? {})).toEqual(['type', 'sessionId', 'clientKey', 'chatSuggestionEvent']);
    // n8n only reads pairedItem, and its own constructExecutionMetaData shares one object the same way.
    const first = outputs[0]?.filter((item) => item.pairedItem === message?.pairedItem) ?? [];
    expect(first).toHaveLength(3);
    expect(message?.pairedItem).toEqual({ item: 0 });
    const second = [...(outputs[0] ?? []), ...(outputs[1] ?? [])].filter((item) => !first.includes(item));
    expect(second.length).toBeGreaterThan(1);
    expect(new Set(second.map((item) => item.pairedItem))).toEqual(new Set([{ item: 1 }]));
    expect(second.every((item) => item.pairedItem === second[0]?.pairedItem)).toBe(true);
  });

  it('takes any input events as JSON', async () => {
    const sessionId = await startSession();
    const events = JSON.stringify([{ button_response_event: { id: 'wrap-yes', title: 'Yes, please' } }]);
    const { outputs } = await runNode(send('', { sessionId, inputType: 'events', inputEvents: events }), {
      credentials,
    });
    expect(outputs[0]?.[0]?.json['text']).toBe('You picked “Yes, please”. Good choice!');
    expect((mock.requests.at(-1)?.body as { inputEvents: unknown[] }).inputEvents).toEqual([
      { buttonResponseEvent: { id: 'wrap-yes', title: 'Yes, please' } },
    ]);
  });

  it('rejects input events that are not JSON, or not events, before any request', async () => {
    const notJson = runNode(send('', { inputType: 'events', inputEvents: '[{ nope' }), { credentials });
    await expect(notJson).rejects.toThrow(NodeOperationError);
    await expect(notJson).rejects.toThrow(/Input Events is not valid JSON/);
    const twoKeys = runNode(
      send('', { inputType: 'events', inputEvents: [{ storeEvent: { storeId: '1' }, listReplyEvent: { id: 'x' } }] }),
      { credentials },
    );
    await expect(twoKeys).rejects.toThrow(/inputEvents\[0\]` holds 2 event keys/);
    expect(mock.requests).toHaveLength(0);
  });

  it('streams the text, then the products, then the suggestions, as separate Markdown messages', async () => {
    const sessionId = await startSession();
    const { chunks } = await runNode(send('I want a festive gift', { sessionId }), { credentials, streaming: true });
    expect(chunks).toEqual([
      { type: 'begin', itemIndex: 0, content: undefined },
      { type: 'item', itemIndex: 0, content: 'Here are a few festive ideas she might love:' },
      {
        type: 'item',
        itemIndex: 0,
        content:
          '\n\n**[Aurora Silk Scarf](https://shop.example.com/p/aurora-scarf)** — $49.90  \n' +
          'Hand-dyed silk in winter-night blues.  \n' +
          '![Aurora Silk Scarf](https://shop.example.com/img/aurora-scarf.jpg)\n\n' +
          '**[Juniper Candle Set](https://shop.example.com/p/juniper-candles)** — $32.00  \n' +
          'Three soy candles: juniper, clove and crème brûlée.  \n' +
          '![Juniper Candle Set](https://shop.example.com/img/juniper-candles.jpg)\n\n' +
          '**[Starlight Earrings](https://shop.example.com/p/starlight-earrings)** — $89.00  \n' +
          'Sterling silver with a small moonstone.  \n' +
          '![Starlight Earrings](https://shop.example.com/img/starlight-earrings.jpg)',
      },
      {
        type: 'item',
        itemIndex: 0,
        content: '\n\nYou can also ask:\n- Do you gift-wrap?\n- What is your return policy?\n- Talk to a human',
      },
      { type: 'end', itemIndex: 0, content: undefined },
    ]);
  });

  it('streams a menu as the choices a customer can type, and a handover as a notice', async () => {
    const sessionId = await startSession();
    const menu = await runNode(send('show me the menu', { sessionId }), { credentials, streaming: true });
    expect(menu.chunks.map((chunk) => chunk.content)).toEqual([
      undefined,
      'Here is what I can help with:',
      '\n\n**How can I help?**\n\n_Shopping_\n\n' +
        '- **Gift ideas** — Festive picks under $100\n- **My order** — Track a delivery\n\n' +
        '_People_\n\n- **Talk to a human** — A teammate replies\n\n_Demo store_',
      undefined,
    ]);
    const human = await runNode(send('Can I talk to a human?', { sessionId }), { credentials, streaming: true });
    expect(human.chunks.at(-2)?.content).toBe('\n\n_A member of our team will take over this conversation._');
  });

  it('streams the text alone when asked, each message apart from the one before', async () => {
    const sessionId = await startSession();
    const { chunks } = await runNode(send('I want a festive gift', { sessionId, options: { streamContent: 'text' } }), {
      credentials,
      streaming: true,
    });
    expect(chunks.map((chunk) => chunk.content)).toEqual([
      undefined,
      'Here are a few festive ideas she might love:',
      undefined,
    ]);
  });

  it('does not call sendChunk when the workflow does not stream', async () => {
    const { chunks } = await runNode(send('hello'), { credentials });
    expect(chunks).toEqual([]);
  });

  it('keeps the whole-reply item lean, with the raw events only when asked for', async () => {
    const sessionId = await startSession();
    const lean = await runNode(send('I want a festive gift', { sessionId }), { credentials });
    expect(Object.keys(lean.outputs[0]?.[0]?.json ?? {}).sort()).toEqual(
      ['clientKey', 'eventCount', 'handover', 'interactives', 'products', 'sessionId', 'suggestions', 'text'].sort(),
    );
    const raw = await runNode(send('I want a festive gift', { sessionId, options: { rawEvents: true } }), {
      credentials,
    });
    expect(raw.outputs[0]?.[0]?.json).toMatchObject({ eventCount: 3, handovers: [] });
    expect(raw.outputs[0]?.[0]?.json['events']).toHaveLength(3);
    expect(raw.outputs[0]?.[0]?.json['messages']).toHaveLength(1);
  });

  it('names the fix for an empty Text (a node that follows no Chat Trigger) before any request', async () => {
    const run = runNode(send(''), { credentials });
    await expect(run).rejects.toThrow("Text is empty: there is no customer's message to send");
    await expect(run).rejects.toMatchObject({ description: expect.stringContaining('{{ $json.chatInput }}') });
    expect(mock.requests).toHaveLength(0);
  });

  it.each([...CUSTOM_API_CALLS])('explains that there is no custom API call when one is picked (%s)', async (value) => {
    const run = runNode({ resource: 'agent', operation: value }, { credentials });
    await expect(run).rejects.toThrow('Connectly offers no custom API call');
    await expect(run).rejects.toMatchObject({ description: expect.stringContaining('HTTP Request node') });
  });

  it('passes the agent ID from the options', async () => {
    const sessionId = await startSession();
    await runNode(send('hello', { sessionId, options: { agentId: 'sofia-1' } }), { credentials });
    expect(mock.requests.at(-1)?.body).toMatchObject({ agentId: 'sofia-1' });
  });
});

describe('Agent → Send Message: session memory', () => {
  // Each test talks for its own customers: the memory lives as long as the node's module, across tests.
  const remember = (clientKey: string, text: string, more: Record<string, unknown> = {}) =>
    send(text, { clientKey, sessionMemory: 'remember', ...more });
  const sessionOf = (run: { outputs: Array<Array<{ json: Record<string, unknown> }>> }) =>
    run.outputs[0]?.[0]?.json['sessionId'] as string;
  const inits = () => mock.requests.filter((r) => r.endpoint === 'init').length;

  it("is the default: with Session ID empty, later executions continue the customer's session", async () => {
    const defaults: IDataObject = send('hello', { clientKey: 'memory-default' });
    delete defaults['sessionMemory'];
    const first = await runNode(defaults, { credentials });
    const second = await runNode({ ...defaults, text: 'and for my wife?' }, { credentials });
    expect(sessionOf(second)).toBe(sessionOf(first));
    expect(mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke', 'invoke']);
    expect(mock.requests[2]?.body).toMatchObject({ sessionId: sessionOf(first), clientKey: 'memory-default' });
  });

  it('gives two customers two sessions', async () => {
    const a = await runNode(remember('memory-a', 'hi'), { credentials });
    const b = await runNode(remember('memory-b', 'hi'), { credentials });
    const a2 = await runNode(remember('memory-a', 'again'), { credentials });
    expect(sessionOf(a)).not.toBe(sessionOf(b));
    expect(sessionOf(a2)).toBe(sessionOf(a));
    expect(inits()).toBe(2);
  });

  it('starts one session for a burst of concurrent executions of one customer, their turns one at a time', async () => {
    // Each reply takes a while, so turns that were not kept apart would overlap at the mock.
    const line = { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'ok' } } } };
    mock.inject({ events: [line, line], lineDelayMs: 50, times: 8 });
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => runNode(remember('memory-burst', `message ${i}`), { credentials })),
    );
    expect(new Set(runs.map(sessionOf)).size).toBe(1);
    expect(inits()).toBe(1);
    expect(mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(8);
    expect(mock.overlaps).toBe(0);
  });

  it('renews a session Connectly has forgotten, sending the message once more in the new one', async () => {
    const first = await runNode(remember('memory-forgotten', 'hi'), { credentials });
    mock.forget(sessionOf(first));
    mock.reset();
    const second = await runNode(remember('memory-forgotten', 'still there?'), { credentials });
    expect(sessionOf(second)).not.toBe(sessionOf(first));
    expect(second.outputs[0]?.[0]?.json['text']).toMatch(/You said: “still there\?”/);
    // The forgotten session's turn (answered 404, nothing processed), the new session, the same turn in it.
    expect(mock.requests.map((r) => [r.endpoint, (r.body as { sessionId?: string }).sessionId])).toEqual([
      ['invoke', sessionOf(first)],
      ['init', undefined],
      ['invoke', sessionOf(second)],
    ]);
    expect(mock.requests[2]?.body).toMatchObject({
      inputEvents: (mock.requests[0]?.body as { inputEvents: unknown }).inputEvents,
    });
    const third = await runNode(remember('memory-forgotten', 'thanks'), { credentials });
    expect(sessionOf(third)).toBe(sessionOf(second));
  });

  it('"New Session Every Time" starts a session per execution and leaves the memory alone', async () => {
    const remembered = await runNode(remember('memory-new', 'hi'), { credentials });
    const fresh = await runNode(remember('memory-new', 'hi', { sessionMemory: 'new' }), { credentials });
    const again = await runNode(remember('memory-new', 'hi'), { credentials });
    expect(sessionOf(fresh)).not.toBe(sessionOf(remembered));
    expect(sessionOf(again)).toBe(sessionOf(remembered));
    expect(inits()).toBe(2);
  });

  it('a Session ID given wins over the memory, which keeps its own session', async () => {
    const remembered = await runNode(remember('memory-given', 'hi'), { credentials });
    const started = await runNode(
      { resource: 'session', operation: 'start', clientKey: 'memory-given', options: {} },
      { credentials },
    );
    const sessionId = sessionOf(started);
    const given = await runNode(remember('memory-given', 'hi', { sessionId }), { credentials });
    const again = await runNode(remember('memory-given', 'hi'), { credentials });
    expect(sessionOf(given)).toBe(sessionId);
    expect(sessionOf(again)).toBe(sessionOf(remembered));
  });

  it('Session → Close of the remembered session makes the next message start a new one, without a failed turn', async () => {
    const remembered = await runNode(remember('memory-closed', 'hi'), { credentials });
    await runNode(
      {
        resource: 'session',
        operation: 'close',
        clientKey: 'memory-closed',
        sessionId: sessionOf(remembered),
        options: {},
      },
      { credentials },
    );
    mock.reset();
    const next = await runNode(remember('memory-closed', 'hello again'), { credentials });
    expect(sessionOf(next)).not.toBe(sessionOf(remembered));
    expect(mock.requests.map((r) => r.endpoint)).toEqual(['init', 'invoke']);
  });
});

describe('Agent → Send Message and Wait', () => {
  it('answers through invoke_sync', async () => {
    const sessionId = await startSession();
    const { outputs } = await runNode(
      { ...send('show me the menu', { sessionId }), operation: 'sendMessageAndWait' },
      { credentials },
    );
    expect(outputs[0]?.[0]?.json['interactives']).toHaveLength(1);
    expect(mock.requests.at(-1)?.endpoint).toBe('invoke_sync');
  });
});

describe('Health → Check', () => {
  it('reports healthy and unhealthy', async () => {
    const healthy = await runNode({ resource: 'health', operation: 'check', options: {} }, { credentials });
    expect(healthy.outputs[0]?.[0]?.json['healthy']).toBe(true);
    mock.inject({ endpoint: 'health', unhealthy: true });
    const unhealthy = await runNode({ resource: 'health', operation: 'check', options: {} }, { credentials });
    expect(unhealthy.outputs[0]?.[0]?.json['healthy']).toBe(false);
  });
});

describe('errors', () => {
  it('a wrong key is a NodeApiError that names the n8n credential and what to do, and never shows the key', async () => {
    const wrong = { ...credentials, apiKey: `${KEY}-wrong` };
    let error: unknown;
    try {
      await runNode(send('hello'), {
        credentials: wrong,
        nodeCredentials: { connectlyApi: { id: 'cred-1', name: 'Connectly account' } },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NodeApiError);
    expect((error as NodeApiError).message).toBe(
      'Connectly does not accept the AI Agent Key of the "Connectly account" credential (Connectly AI Agent API)',
    );
    expect((error as NodeApiError).description).toMatch(
      /open the "Connectly account" credential.*paste the AI Agent Key again/,
    );
    expect((error as NodeApiError).httpCode).toBe('401');
    expectNoKey(error);
  });

  // The agent sends one message, then fails mid-reply.
  const crashAfterOneEvent = (): void => {
    mock.inject({
      events: [{ messageEvent: { content: { textContent: { text: 'partial' } } } }, { messageEvent: {} }],
      errorAfterEvents: 1,
      code: 14,
      message: 'agent crashed',
    });
  };

  it('with Continue On Fail, an error becomes an item on output 0 that keeps what arrived', async () => {
    const sessionId = await startSession();
    crashAfterOneEvent();
    const { outputs } = await runNode(send('hello', { sessionId }), { credentials, continueOnFail: true });
    const item = outputs[0]?.[0];
    expect(item?.pairedItem).toEqual({ item: 0 });
    expect(item?.json['error']).toMatch(/agent crashed/);
    expect(item?.json).toMatchObject({ sessionId, clientKey: 'customer-1' });
    expect(item?.json['events'] as unknown[]).toHaveLength(1);
    expectNoKey(outputs);
  });

  it('with On Error → Continue (using error output), the error item holds only error and details, as n8n requires to route it', async () => {
    const sessionId = await startSession();
    crashAfterOneEvent();
    const { outputs } = await runNode(send('hello', { sessionId }), {
      credentials,
      continueOnFail: true,
      onError: 'continueErrorOutput',
    });
    const json = outputs[0]?.[0]?.json ?? {};
    expect(Object.keys(json).sort()).toEqual(['details', 'error']);
    expect(json['error']).toMatch(/agent crashed/);
    expect(json['details']).toMatchObject({ sessionId, clientKey: 'customer-1' });
    expect((json['details'] as { events: unknown[] }).events).toHaveLength(1);
    expectNoKey(outputs);
  });

  it('with Continue On Fail, the error item names the session the node started, so the next message can continue it', async () => {
    mock.inject({ events: [{ messageEvent: {} }], errorAfterEvents: 0, code: 14, message: 'agent crashed' });
    const { outputs } = await runNode(send('hello'), { credentials, continueOnFail: true });
    const sessionId = outputs[0]?.[0]?.json['sessionId'];
    expect(outputs[0]?.[0]?.json['error']).toMatch(/agent crashed/);
    expect(typeof sessionId).toBe('string');
    expect(mock.sessions.has(sessionId as string)).toBe(true);
  });

  it('an unknown resource or operation is a NodeOperationError, even one named like an Object property', async () => {
    for (const [resource, operation] of [
      ['agent', 'dance'],
      ['constructor', 'call'],
      ['agent', 'constructor'],
    ]) {
      const run = runNode({ ...send('hello'), resource, operation }, { credentials });
      await expect(run).rejects.toThrow(NodeOperationError);
      await expect(run).rejects.toThrow(`The operation "${operation}" is not supported for "${resource}"`);
    }
    expect(mock.requests).toHaveLength(0);
  });

  it('with Continue On Fail, one failing item does not stop the others', async () => {
    const sessionId = await startSession();
    const { outputs } = await runNode((i) => send('hello', { sessionId: i === 0 ? 'no-such-session' : sessionId }), {
      credentials,
      continueOnFail: true,
      items: 2,
    });
    expect(outputs[0]?.[0]?.json['error']).toMatch(/NOT_FOUND/);
    expect(outputs[0]?.[1]?.json['text']).toMatch(/demo shopping assistant/);
  });

  it('a stalled stream ends with the idle timeout instead of hanging', async () => {
    const sessionId = await startSession();
    mock.inject({ events: [{ messageEvent: {} }, { messageEvent: {} }], stall: 'body', afterEvents: 1 });
    await expect(runNode(send('hello', { sessionId, options: { idleTimeout: 1 } }), { credentials })).rejects.toThrow(
      /sent nothing for 1000 ms/,
    );
    await mock.waitForAbandoned(1);
  });

  it("the execution's cancel signal aborts the stream", async () => {
    const sessionId = await startSession();
    mock.inject({ events: [{ messageEvent: {} }, { messageEvent: {} }], stall: 'body', afterEvents: 1 });
    const controller = new AbortController();
    const run = runNode(send('hello', { sessionId }), { credentials, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await expect(run).rejects.toThrow(/cancelled/);
    await mock.waitForAbandoned(1);
  });
});
