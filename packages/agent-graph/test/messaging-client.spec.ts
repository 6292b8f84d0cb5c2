// ConnectlyMessagingClient against the mock over HTTP: sends, templates, whole replies, the webhook
// registry, typed errors, what is retried and what is never sent twice, and the key kept secret.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { demoReply } from 'connectly-agent-graph-mock';
import {
  type AgentEvent,
  ConnectlyAbortError,
  ConnectlyConnectionError,
  ConnectlyMessagingClient,
  ConnectlyMessagingError,
  ConnectlyReplyIncompleteError,
  ConnectlyTimeoutError,
  ConnectlyValidationError,
  type FetchLike,
  type OutboundMessage,
  userText,
} from '../src/index.js';
import { useHookReceiver, useMessagingMock } from './helpers.js';

const KEY = 'sk-messaging-DISTINCT-41c9';
const BIZ = 'biz-1';
const CUSTOMER = '+15550001111';
const clock = Date.UTC(2026, 11, 1, 12);
const hook = useHookReceiver();

const m = useMessagingMock({ apiKey: KEY, businessId: BIZ, messaging: { timeScale: 0.001, now: () => clock } });
const client = m.client;

async function customerWrote(): Promise<void> {
  await client().createWebhook({ topic: 'messages', address: hook.url });
  await m.mock.customer(CUSTOMER).says('Hi');
}

const sends = (): number => m.mock.requests.filter((r) => r.path.endsWith('/send/messages')).length;
const festive = (): AgentEvent[] =>
  demoReply([userText('I want a festive gift')]).map((element) => {
    const type = Object.keys(element)[0] as string;
    return { type, [type]: element[type], known: true, sessionId: 's' } as AgentEvent;
  });

describe('options', () => {
  it('names a bad or unknown option before anything is sent', () => {
    expect(() => new ConnectlyMessagingClient({ businessId: BIZ } as never)).toThrow(
      expect.objectContaining({ name: 'ConnectlyValidationError', field: 'apiKey' }) as Error,
    );
    expect(() => new ConnectlyMessagingClient({ apiKey: KEY, businessId: BIZ, idleTimeoutMs: 5 } as never)).toThrow(
      /Unknown option `idleTimeoutMs`: ConnectlyMessagingClient takes/,
    );
    expect(() => client({ baseUrl: 'ftp://x' })).toThrow(/http:\/\/ or https:\/\//);
    expect(client().timeoutMs).toBe(30_000);
  });
});

describe('sending', () => {
  it('sends a session message and returns its id, which the mock recorded', async () => {
    await customerWrote();
    const { id } = await client().sendMessage({ to: CUSTOMER, message: { text: 'Hello!' }, callbackData: { turn: 1 } });
    expect(m.mock.customer(CUSTOMER).received).toEqual([
      expect.objectContaining({ id, message: { text: 'Hello!' }, callbackData: { turn: 1 } }),
    ]);
    expect(m.mock.requests.at(-1)?.headers['x-api-key']).toBe('[redacted]');
  });

  it.each([
    ['no recipient', { to: '', message: { text: 'x' } }, /`to`/],
    ['empty text', { to: CUSTOMER, message: { text: ' ' } }, /empty/],
    [
      'two content kinds',
      {
        to: CUSTOMER,
        message: { location: { latitude: 1, longitude: 2 }, attachments: [{ type: 'image', url: 'https://x/y' }] },
      },
      /exactly one content kind/,
    ],
    [
      'buttons without a body',
      { to: CUSTOMER, message: { replyButtonMessage: { buttons: [{ id: 'a', text: 'A' }] } } },
      /needs a body/,
    ],
    ['callbackData over 1024 bytes', { to: CUSTOMER, message: { text: 'x' }, callbackData: 'x'.repeat(1100) }, /1024/],
    [
      'callbackData that is not JSON',
      { to: CUSTOMER, message: { text: 'x' }, callbackData: { n: BigInt(1) } },
      /JSON value/,
    ],
  ])('refuses %s before the network', async (_, request, message) => {
    await expect(client().sendMessage(request as never)).rejects.toThrow(ConnectlyValidationError);
    await expect(client().sendMessage(request as never)).rejects.toThrow(message);
    expect(sends()).toBe(0);
  });

  it('raises the 24-hour window error with its code and the fix', async () => {
    await customerWrote();
    m.mock.customer(CUSTOMER).silentFor(25 * 3600 * 1000);
    const error = (await client()
      .sendMessage({ to: CUSTOMER, message: { text: 'late' } })
      .catch((e: unknown) => e)) as ConnectlyMessagingError;
    expect(error).toBeInstanceOf(ConnectlyMessagingError);
    expect(error).toMatchObject({
      status: 400,
      code: 'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW',
      type: 'ERROR_TYPE_DEADLINE_EXCEEDED',
    });
    expect(error.cntTraceId).toMatch(/^\d{20}$/);
    expect(error.message).toMatch(/sendTemplate\(\)/);
  });

  it('waits out a 429 Retry-After and then sends once', async () => {
    await customerWrote();
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 429, retryAfter: 0 });
    await client().sendMessage({ to: CUSTOMER, message: { text: 'x' } });
    expect([sends(), m.mock.messaging.sent.length]).toEqual([2, 1]);
  });

  it('runs its time limit and its retry wait on the given scheduler', async () => {
    await customerWrote();
    const asked: number[] = [];
    const scheduler = {
      setTimeout: (callback: () => void, ms: number) => {
        asked.push(ms);
        // The retry wait is cut short so the test shows it was asked for, not that it elapsed.
        return setTimeout(callback, ms === 30_000 ? ms : 0);
      },
      clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 429, retryAfter: 7 });
    await client({ scheduler }).sendMessage({ to: CUSTOMER, message: { text: 'x' } });
    expect(asked).toEqual([30_000, 7_000, 30_000]);
  });

  it('raises a 429 at once when Retry-After is longer than maxRetryDelayMs', async () => {
    await customerWrote();
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 429, retryAfter: 1 });
    const error = await client({ maxRetryDelayMs: 500 })
      .sendMessage({ to: CUSTOMER, message: { text: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 1000 });
    expect(sends()).toBe(1);
  });

  it('never repeats a send the server may have processed: a 500, or a connection lost after the request went out', async () => {
    await customerWrote();
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 500 });
    await expect(client().sendMessage({ to: CUSTOMER, message: { text: 'a' } })).rejects.toMatchObject({ status: 500 });
    expect(sends()).toBe(1);
    // The request reaches the mock (which sends the message), then the connection "breaks".
    const lossy: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      await response.arrayBuffer();
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    };
    const error = await client({ fetch: lossy })
      .sendMessage({ to: CUSTOMER, message: { text: 'b' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectlyConnectionError);
    expect(error).toMatchObject({ phase: 'response', errorCode: 'ECONNRESET' });
    expect(m.mock.messaging.sent.map((m) => m.message.text)).toEqual(['b']);
    expect(sends()).toBe(2);
  });

  it('retries a connection that never reached the server, then reports it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    let attempts = 0;
    const counting: FetchLike = (url, init) => {
      attempts += 1;
      return fetch(url, init);
    };
    const error = await client({ baseUrl: `http://127.0.0.1:${port}`, fetch: counting })
      .sendMessage({ to: CUSTOMER, message: { text: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectlyConnectionError', phase: 'connect', errorCode: 'ECONNREFUSED' });
    expect(attempts).toBe(3);
  });

  it('times out and aborts', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await expect(client({ baseUrl, timeoutMs: 50 }).listWebhooks()).rejects.toThrow(ConnectlyTimeoutError);
      const controller = new AbortController();
      const pending = client({ baseUrl }).listWebhooks({ signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toThrow(ConnectlyAbortError);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('sends templates, with parameters as an object, and reports template errors by code', async () => {
    const { id } = await client().sendTemplate({
      to: '+1 (604) 585-2331',
      templateName: 'order_update',
      parameters: { body_1: 'A-17' },
    });
    expect(m.mock.messaging.sent[0]).toMatchObject({ id, kind: 'template', to: '+16045852331' });
    await expect(client().sendTemplate({ to: CUSTOMER, templateName: 'nope' })).rejects.toMatchObject({
      status: 404,
      code: 'ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND',
      message: expect.stringMatching(/template name and language/),
    });
  });
});

describe('sendReply', () => {
  it("sends the agent's whole reply in order, in the documented shape", async () => {
    await customerWrote();
    const result = await client().sendReply(CUSTOMER, festive());
    const received = m.mock.customer(CUSTOMER).received.map((m) => m.message);
    expect(received).toEqual(result.sent.map((s) => s.message));
    expect(received[0]).toEqual({ text: 'Here are a few festive ideas she might love:' });
    expect(received[1]?.text).toMatch(/^• Aurora Silk Scarf — 49.90 USD\nhttps:\/\/shop.example.com/);
    expect(received.at(-1)).toMatchObject({
      text: 'Choose an option',
      replyButtonMessage: { buttons: expect.any(Array) },
    });
    expect(result.unmapped).toEqual([]);
    expect(Object.values(result.choices).every((c) => c.kind === 'suggestion')).toBe(true);
  });

  it('reports a reply stopped part-way with what was and was not sent', async () => {
    await customerWrote();
    const messages: OutboundMessage[] = [{ text: 'one' }, { text: 'two' }, { text: 'three' }];
    const reply = { messages, choices: {}, handover: false, handovers: [], unmapped: [] };
    let calls = 0;
    const failSecond: FetchLike = async (url, init) => {
      calls += 1;
      if (calls === 2) m.mock.messaging.failNextSend({ code: 'ERROR_CODE_BUSINESS_REACHED_LIMITS' });
      return fetch(url, init);
    };
    const error = (await client({ fetch: failSecond })
      .sendReply(CUSTOMER, reply)
      .catch((e: unknown) => e)) as ConnectlyReplyIncompleteError;
    expect(error).toBeInstanceOf(ConnectlyReplyIncompleteError);
    expect(error.sent).toHaveLength(1);
    expect(error.outcomeUnknown).toEqual([]);
    expect(error.unsent).toEqual([{ text: 'two' }, { text: 'three' }]);
    expect(error.cause).toMatchObject({ code: 'ERROR_CODE_BUSINESS_REACHED_LIMITS' });
  });

  // The second send reaches Connectly (the mock sends it), and then its answer goes wrong.
  const secondAnswer = (wrong: (response: Response, signal: AbortSignal) => Promise<Response>): FetchLike => {
    let calls = 0;
    return async (url, init) => {
      calls += 1;
      const response = await fetch(url, init);
      return calls === 2 ? wrong(response, init.signal) : response;
    };
  };
  const noId = secondAnswer(async () => new Response('{}', { status: 200 }));
  const late = secondAnswer(
    (response, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(response))),
  );
  const serverError = secondAnswer(async () => new Response('{"message":"oops"}', { status: 500 }));

  it.each([
    ['a 200 without an id', noId, 'ConnectlyProtocolError'],
    ['a 200 that came after timeoutMs', late, 'ConnectlyTimeoutError'],
    ['a 500', serverError, 'ConnectlyMessagingError'],
  ])(
    'after %s, that message is of unknown outcome, not unsent: sending unsent again sends nothing twice',
    async (_, fetchWith, cause) => {
      await customerWrote();
      const messages: OutboundMessage[] = [{ text: 'one' }, { text: 'two' }, { text: 'three' }];
      const reply = { messages, choices: {}, handover: false, handovers: [], unmapped: [] };
      const error = (await client({ fetch: fetchWith, timeoutMs: 500 })
        .sendReply(CUSTOMER, reply)
        .catch((e: unknown) => e)) as ConnectlyReplyIncompleteError;
      expect(error).toBeInstanceOf(ConnectlyReplyIncompleteError);
      expect(error.cause).toMatchObject({ name: cause });
      expect(error.sent.map((s) => s.message)).toEqual([{ text: 'one' }]);
      expect(error.outcomeUnknown).toEqual([{ text: 'two' }]);
      expect(error.unsent).toEqual([{ text: 'three' }]);
      expect(error.message).toMatch(/1 of 3 messages sent, 1 that may have been sent .*, 1 not sent/);
      await client().sendReply(CUSTOMER, { ...reply, messages: [...error.unsent] });
      expect(m.mock.customer(CUSTOMER).received.map((m) => m.message.text)).toEqual(['one', 'two', 'three']);
    },
  );

  it('a first message of unknown outcome is reported too, so the reply is not sent again whole', async () => {
    await customerWrote();
    const reply = {
      messages: [{ text: 'one' }, { text: 'two' }],
      choices: {},
      handover: false,
      handovers: [],
      unmapped: [],
    };
    let calls = 0;
    const firstLate: FetchLike = async (url, init) => {
      calls += 1;
      const response = await fetch(url, init);
      if (calls > 1) return response;
      return new Promise((resolve) => init.signal.addEventListener('abort', () => resolve(response)));
    };
    const error = (await client({ fetch: firstLate, timeoutMs: 300 })
      .sendReply(CUSTOMER, reply)
      .catch((e: unknown) => e)) as ConnectlyReplyIncompleteError;
    expect(error).toBeInstanceOf(ConnectlyReplyIncompleteError);
    expect([error.sent, error.outcomeUnknown, error.unsent]).toEqual([[], [{ text: 'one' }], [{ text: 'two' }]]);
  });
});

describe('webhook registry', () => {
  it('creates, lists, updates and deletes', async () => {
    const c = client();
    const { id } = await c.createWebhook({ topic: 'messages', address: hook.url, configuration: { echo: true } });
    expect(await c.listWebhooks()).toEqual([
      {
        id,
        topic: 'messages',
        address: hook.url,
        configuration: { echo: true, channelTypes: ['whatsapp'], filters: [] },
      },
    ]);
    await c.updateWebhook(id, { configuration: { echo: false } });
    expect((await c.listWebhooks())[0]?.configuration?.echo).toBe(false);
    await c.deleteWebhook(id);
    expect(await c.listWebhooks()).toEqual([]);
    await expect(c.deleteWebhook(id)).rejects.toMatchObject({ status: 404 });
  });

  it('answers a second create with 409 and the fix; ensureWebhook creates once and then updates', async () => {
    const c = client();
    const first = await c.ensureWebhook({ topic: 'messages', address: hook.url });
    expect(first.created).toBe(true);
    await expect(c.createWebhook({ topic: 'messages', address: hook.url })).rejects.toThrow(/ensureWebhook\(\)/);
    const second = await c.ensureWebhook({
      topic: 'messages',
      address: `${hook.url}/v2`,
      configuration: { echo: true },
    });
    expect(second).toEqual({ id: first.id, created: false });
    expect(await c.listWebhooks()).toEqual([
      expect.objectContaining({
        id: first.id,
        address: `${hook.url}/v2`,
        configuration: expect.objectContaining({ echo: true }),
      }),
    ]);
  });

  it('says which key to use on 401', async () => {
    await expect(client({ apiKey: 'wrong' }).listWebhooks()).rejects.toThrow(/general Connectly API key/);
  });
});

describe('the API key stays secret', () => {
  it('is in no error, and not in the client when printed', async () => {
    const c = client();
    expect([JSON.stringify(c), inspect(c), String(c)].join()).not.toContain(KEY);
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 500, message: `bad key ${KEY} here` });
    await customerWrote();
    const error = (await c.sendMessage({ to: CUSTOMER, message: { text: 'x' } }).catch((e: unknown) => e)) as Error;
    expect([error.message, error.stack, JSON.stringify(error), inspect(error)].join()).not.toContain(KEY);
    expect(error.message).toContain('[redacted]');
  });
});
