// The conversation engine over HTTP against the mock, with two engines sharing one store (as two
// replicas do), on the memory store and on Redis: the whole loop with echoes that carry the automation
// mark and echoes that do not, redelivery after a failure, a duplicate in flight, a hold set mid-turn on
// the other engine, release with what was said meanwhile, a reply sent by the other engine when the turn
// that marked it answered stopped before sending, a tap on an older message, the 24-hour window and a
// stale delivery.
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConnectlyClient,
  ConnectlyMessagingClient,
  ConversationEngine,
  type ConversationEngineOptions,
  type ConversationStore,
  type HandoverNotice,
  MemoryConversationStore,
  type ReceiveResult,
  signWebhook,
} from 'connectly-agent-graph';
import { MockConnectlyServer, demoReply, echoReply } from 'connectly-agent-graph-mock';
import { RedisConversationStore } from '../src/index.js';
import { type RunningRedis, startRedis } from './redis-server.cjs';

const SECRET = 'engine-webhook-secret';
const API_KEY = 'engine-api-key';
const BUSINESS = 'engine-business';
const PHONE = '+15550002222';

let redis: RunningRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const heard = (inputEvents: unknown[]): string =>
  JSON.stringify(inputEvents.map((event) => (event as { messageEvent?: { content?: unknown } }).messageEvent));

// Gifts get the demo agent's suggestions, "human" a handover, "slow" a long reply; anything else is echoed.
function agent(inputEvents: unknown[]): unknown[] {
  const text = heard(inputEvents);
  if (text.includes('gift') || text.includes('return policy')) return demoReply(inputEvents);
  if (text.includes('human')) {
    return [
      { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'A teammate will take it from here.' } } } },
      { agentHandoverEvent: { triggerHandover: true, reason: 'asked for a human' } },
    ];
  }
  if (text.includes('slow')) {
    return Array.from({ length: 12 }, (_, i) => ({
      messageEvent: { role: 'ASSISTANT', content: { textContent: { text: `part ${i}` } } },
    }));
  }
  return echoReply(inputEvents);
}

interface Rig {
  mock: MockConnectlyServer;
  engines: ConversationEngine[];
  notices: HandoverNotice[];
  outcomes: ReceiveResult[];
  url: string;
  /** Which engine takes the next delivery (round robin by default). */
  route: (n: number) => number;
  settle(): Promise<void>;
  invokes(): unknown[][];
  post(body: string, signature?: string): Promise<Response>;
  close(): Promise<void>;
}

type StoreKind = 'memory' | 'redis';

async function rig(
  kind: StoreKind,
  options: {
    pacingMs?: number;
    echoCallbackData?: boolean;
    engine?: Partial<ConversationEngineOptions>;
    wrap?: (store: ConversationStore) => ConversationStore;
  } = {},
): Promise<Rig> {
  const mock = new MockConnectlyServer({
    apiKey: API_KEY,
    businessId: BUSINESS,
    agent,
    pacingMs: options.pacingMs ?? 0,
    messaging: { webhookSecret: SECRET, timeScale: 0.001, echoCallbackData: options.echoCallbackData ?? true },
  });
  const baseUrl = await mock.start();
  const memory = new MemoryConversationStore();
  const prefix = `engine-${Math.random().toString(36).slice(2)}:`;
  const stores: ConversationStore[] = [];
  const notices: HandoverNotice[] = [];
  const outcomes: ReceiveResult[] = [];
  const engines = [0, 1].map(() => {
    const opened = kind === 'memory' ? memory : new RedisConversationStore({ url: redis.url, prefix });
    stores.push(opened);
    const store = options.wrap ? options.wrap(opened) : opened;
    return new ConversationEngine({
      store,
      agent: new ConnectlyClient({ apiKey: API_KEY, businessId: BUSINESS, baseUrl, sessionStore: store }),
      messaging: new ConnectlyMessagingClient({ apiKey: API_KEY, businessId: BUSINESS, baseUrl }),
      businessId: BUSINESS,
      webhookSecret: SECRET,
      sweepIntervalMs: 50,
      onHandover: (notice) => void notices.push(notice),
      ...options.engine,
    });
  });
  let count = 0;
  const state = { route: (n: number) => n % 2 };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const engine = engines[state.route(count++)] as ConversationEngine;
      void engine.receive({ rawBody: Buffer.concat(chunks), headers: req.headers }).then((result) => {
        outcomes.push(result);
        res.writeHead(result.status, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  await new ConnectlyMessagingClient({ apiKey: API_KEY, businessId: BUSINESS, baseUrl }).ensureWebhook({
    topic: 'messages',
    address: url,
    configuration: { echo: true },
  });
  const quiet = (): boolean =>
    mock.messaging.deliveries.every((d) => d.outcome !== 'pending') && mock.openResponses === 0;
  return {
    mock,
    engines,
    notices,
    outcomes,
    url,
    get route() {
      return state.route;
    },
    set route(pick: (n: number) => number) {
      state.route = pick;
    },
    async settle() {
      // Bounded: deliveries answered, turns finished, and the sweep found nothing left, twice in a row.
      let calm = 0;
      for (let i = 0; i < 400 && calm < 3; i += 1) {
        await Promise.all(engines.map((engine) => engine.idle()));
        await new Promise((resolve) => setTimeout(resolve, 60));
        calm = quiet() ? calm + 1 : 0;
      }
      await Promise.all(engines.map((engine) => engine.idle()));
    },
    invokes: () =>
      mock.requests
        .filter((r) => r.endpoint === 'invoke')
        .map((r) => (r.body as { inputEvents: unknown[] }).inputEvents),
    post: (body, signature = signWebhook(body, SECRET)) =>
      fetch(url, { method: 'POST', headers: { 'x-connectly-hmac-sha256': signature }, body }),
    async close() {
      await Promise.all(engines.map((engine) => engine.close()));
      await new Promise((resolve) => server.close(resolve));
      for (const store of new Set(stores)) await store.close?.();
      await mock.stop();
    },
  };
}

/** The store with one method replaced by `replace(call)`, where `call()` runs the real one. */
function wrapStore(
  store: ConversationStore,
  method: keyof ConversationStore,
  replace: (call: () => Promise<unknown>) => Promise<unknown>,
): ConversationStore {
  return new Proxy(store, {
    get: (target, name) => {
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      return name === method ? (...args: unknown[]) => replace(() => bound(...args) as Promise<unknown>) : bound;
    },
  });
}

const text = (role: 'USER' | 'ASSISTANT', value: string): unknown => ({
  messageEvent: { role, content: { textContent: { text: value } } },
});

function delivery(payload: Record<string, unknown>, timestamp = Math.floor(Date.now() / 1000)): string {
  return JSON.stringify({
    timestamp: String(timestamp),
    sender: { id: PHONE, channelType: 'whatsapp' },
    recipient: { id: '+15550100000', channelType: 'whatsapp' },
    ...payload,
  });
}

describe.each<StoreKind>(['memory', 'redis'])('the conversation engine on the %s store', (kind) => {
  let r: Rig;
  afterEach(async () => {
    await r?.close();
  });

  describe.each([true, false])('echoes carrying callbackData: %s', (echoCallbackData) => {
    it('runs the whole loop: replies once, knows its own echoes, holds on a person’s echo, resumes in order on release', async () => {
      r = await rig(kind, { echoCallbackData });
      const customer = r.mock.customer(PHONE, { name: 'Ana' });
      await customer.says('hello there');
      await r.settle();
      expect(customer.received.map((m) => m.message)).toEqual([{ text: 'heard: hello there' }]);
      expect(r.outcomes.map((o) => o.outcome)).toContain('echo-own');
      const echoes = r.mock.messaging.deliveries.filter((d) => d.body.includes('"isEcho":true'));
      expect(echoes.map((d) => d.body.includes('callbackData'))).toEqual([echoCallbackData]);
      expect(await r.engines[1]!.isHeld(PHONE)).toBe(false);

      // A teammate writes from the inbox (a send without the automation mark): the conversation is held.
      const teammate = new ConnectlyMessagingClient({ apiKey: API_KEY, businessId: BUSINESS, baseUrl: r.mock.url });
      await teammate.sendMessage({ to: PHONE, message: { text: 'Sam here, I can help.' } });
      await r.settle();
      expect(r.outcomes.map((o) => o.outcome)).toContain('echo-human');
      expect(await r.engines[0]!.isHeld(PHONE)).toBe(true);
      const before = r.invokes().length;
      await customer.says('thanks Sam');
      await customer.says('one more thing');
      await r.settle();
      expect(r.invokes()).toHaveLength(before);
      expect(r.notices.map((n) => n.kind)).toEqual(['human-reply', 'customer-message', 'customer-message']);

      expect(await r.engines[1]!.release(PHONE)).toEqual({ released: true, pendingEvents: 3 });
      await r.settle();
      expect(r.invokes().slice(before)).toEqual([
        [text('ASSISTANT', 'Sam here, I can help.'), text('USER', 'thanks Sam'), text('USER', 'one more thing')],
      ]);
      const automated = customer.received.filter(
        (m) => (m.callbackData as { connectlySentBy?: string })?.connectlySentBy,
      );
      expect(automated.map((m) => m.message)).toEqual([
        { text: 'heard: hello there' },
        { text: 'heard: Sam here, I can help. | thanks Sam | one more thing' },
      ]);
    });
  });

  it('handles a delivery again when taking it failed, and answers it once', async () => {
    let failures = 1;
    r = await rig(kind, {
      wrap: (store) =>
        wrapStore(store, 'appendInbox', (call) => {
          if (failures === 0) return call();
          failures -= 1;
          return Promise.reject(new Error('the store is briefly unreachable'));
        }),
    });
    const customer = r.mock.customer(PHONE);
    const taken = await customer.says('are you open today?');
    await r.settle();
    expect(taken.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(r.invokes()).toEqual([[text('USER', 'are you open today?')]]);
    expect(customer.received.map((m) => m.message)).toEqual([{ text: 'heard: are you open today?' }]);
  });

  it('answers a duplicate that arrives while the first is being taken with 200, and starts nothing more', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let reached = false;
    r = await rig(kind, {
      wrap: (store) =>
        wrapStore(store, 'appendInbox', (call) => {
          if (reached) return call();
          reached = true; // the first attempt is slow to keep the message; a repeat keeps it too (once)
          return gate.then(call);
        }),
    });
    const body = delivery({ message: { text: 'where is my order?' } });
    const first = r.post(body);
    for (let i = 0; i < 200 && !reached; i += 1) await new Promise((done) => setTimeout(done, 10));
    const again = await r.post(body);
    expect([again.status, r.outcomes.map((o) => o.outcome)]).toEqual([200, ['in-progress']]);
    open();
    expect((await first).status).toBe(200);
    expect((await r.post(body)).status).toBe(200);
    await r.settle();
    expect(r.outcomes.map((o) => o.outcome).slice(0, 3)).toEqual(['in-progress', 'accepted', 'duplicate']);
    expect(r.invokes()).toEqual([[text('USER', 'where is my order?')]]);
  });

  it('aborts a turn in flight when the other engine holds the conversation, and sends nothing of it', async () => {
    r = await rig(kind, { pacingMs: 150 });
    r.route = () => 0; // every delivery reaches engine 0; the desk holds through engine 1
    const customer = r.mock.customer(PHONE);
    const said = customer.says('a slow question');
    for (let i = 0; i < 200 && r.mock.openResponses === 0; i += 1) await new Promise((done) => setTimeout(done, 10));
    expect(r.mock.openResponses).toBe(1);
    await r.engines[1]!.holdFor(PHONE, 'sam', 'took it from the inbox');
    await said;
    await r.settle();
    expect(customer.received).toEqual([]);
    expect(r.mock.streams.filter((s) => s.endpoint === 'invoke').map((s) => s.abandoned)).toEqual([true]);
    expect(await r.engines[0]!.isHeld(PHONE)).toBe(true);
  });

  it('sends a reply once when the turn that marked it answered stops before sending it: the next lock holder does', async () => {
    // The first engine to mark the entries answered stops right after (its store calls hang, as in a
    // process that died), before its first send. It comes back at the end.
    let revive: () => void = () => undefined;
    const revived = new Promise<void>((resolve) => (revive = resolve));
    let died = false;
    r = await rig(kind, {
      engine: { leaseMs: 300 },
      wrap: (store) => {
        let dead = false;
        return new Proxy(store, {
          get: (target, name) => {
            const value = Reflect.get(target, name, target) as unknown;
            if (typeof value !== 'function') return value;
            const bound = (value as (...args: unknown[]) => unknown).bind(target);
            const marks = (args: unknown[]): boolean =>
              name === 'openOutbox' || (name === 'claimDelivery' && String(args[0]).startsWith('answered:'));
            return (...args: unknown[]) => {
              if (dead) return revived.then(() => bound(...args));
              const result = bound(...args) as Promise<unknown>;
              if (!marks(args) || died) return result;
              return result.then((value) => {
                died = dead = true; // marked answered: it stops before its first send
                return value;
              });
            };
          },
        });
      },
    });
    const customer = r.mock.customer(PHONE);
    await customer.says('is my parcel on its way?');
    for (let i = 0; i < 300 && customer.received.length === 0; i += 1)
      await new Promise((done) => setTimeout(done, 20));
    expect(died).toBe(true);
    revive(); // the stopped turn resumes now and must not send again
    await r.settle();
    expect(r.invokes()).toEqual([[text('USER', 'is my parcel on its way?')]]);
    expect(customer.received.map((m) => m.message)).toEqual([{ text: 'heard: is my parcel on its way?' }]);
  });

  it('resolves a tap on an older message against that message’s offer', async () => {
    r = await rig(kind);
    const customer = r.mock.customer(PHONE);
    await customer.says('I want a festive gift');
    await r.settle();
    const older = customer.received.find((m) => JSON.stringify(m.message).includes('sugg:1'));
    await customer.taps('sugg:1');
    await r.settle();
    expect(r.invokes().at(-1)).toEqual([text('USER', 'What is your return policy?')]);
    // The newest reply offers other suggestions under the same ids; the customer taps the first message's.
    const newest = [...customer.received].reverse().find((m) => JSON.stringify(m.message).includes('sugg:1'));
    expect(newest?.id).not.toBe(older?.id);
    const tap = delivery({
      context: { replyToId: older?.id },
      buttonResponse: { text: 'What is your return…', payload: 'sugg:1' },
    });
    expect((await r.post(tap)).status).toBe(200);
    await r.settle();
    expect(r.invokes().at(-1)).toEqual([text('USER', 'What is your return policy?')]);
  });

  it('sends the configured template for a reply due outside the 24-hour window', async () => {
    const later = (): number => Date.now() + 25 * 60 * 60 * 1000;
    r = await rig(kind, {
      engine: { now: later, maxAgeMs: 48 * 60 * 60 * 1000, windowTemplate: { templateName: 'hello_world' } },
    });
    const customer = r.mock.customer(PHONE);
    await customer.says('hi again');
    await r.settle();
    expect(r.mock.messaging.sent.map((m) => m.kind)).toEqual(['template']);
    expect(JSON.stringify(r.mock.messaging.sent[0])).toContain('hello_world');
  });

  it('sends nothing outside the 24-hour window without a template, and logs the setting to set', async () => {
    const errors: string[] = [];
    const later = (): number => Date.now() + 25 * 60 * 60 * 1000;
    const logger = { log: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) };
    r = await rig(kind, { engine: { now: later, maxAgeMs: 48 * 60 * 60 * 1000, logger } });
    await r.mock.customer(PHONE).says('hi again');
    await r.settle();
    expect(r.mock.messaging.sent).toEqual([]);
    expect(errors).toEqual([expect.stringContaining('`conversations.windowTemplate`')]);
  });

  it('refuses a delivery whose signed timestamp is older than the replay window, with a log line', async () => {
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined };
    r = await rig(kind, { engine: { logger } });
    const old = delivery({ message: { text: 'I want a festive gift' } }, 1639083206);
    const response = await r.post(old);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ status: 401, outcome: 'refused-stale' });
    expect(warnings).toEqual([expect.stringContaining('raise `maxAgeMs`')]);
    expect((await r.post(delivery({ message: { text: 'forged' } }), 'not-the-signature')).status).toBe(401);
    await r.settle();
    expect(r.invokes()).toEqual([]);
  });
});
