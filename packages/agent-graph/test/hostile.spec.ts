// Hostile servers and hostile input, through the public API: real HTTP against the mock or a loopback
// server that misbehaves on purpose. Each case names the hole it keeps closed.
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import {
  ConnectlyClient,
  type ConnectlyClientOptions,
  ConnectlyConnectionError,
  ConnectlyMessagingClient,
  ConnectlyProtocolError,
  ConnectlyValidationError,
  type FetchLike,
  type Scheduler,
  eventPayload,
  handovers,
  ofType,
  summarizeReply,
  turnNotProcessed,
} from '../src/index.js';
import { collectUntilError, line, text, useMockServer } from './helpers.js';
import { closeHostileServers, hostile } from '../../../test/support/hostile-server.js';

// A realistic key: long enough that any cut through it leaves recognisable pieces.
const KEY = 'ck_live_7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e';
const h = useMockServer({ apiKey: KEY }, { apiKey: KEY });

/** True when `text` holds the key or any 8 characters of it in a row. */
function leaksKey(text: string): boolean {
  for (let i = 0; i + 8 <= KEY.length; i += 1) if (text.includes(KEY.slice(i, i + 8))) return true;
  return false;
}

function everything(error: unknown): string {
  return `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })} ${(error as Error).stack ?? ''}`;
}

afterEach(closeHostileServers);

function clientFor(baseUrl: string, more: Partial<ConnectlyClientOptions> = {}): ConnectlyClient {
  return new ConnectlyClient({ apiKey: KEY, businessId: 'biz-1', baseUrl, retryBaseDelayMs: 20, ...more });
}

const turn = { clientKey: 'customer-1', sessionId: 's-1', text: 'hi' };

/** Real timers underneath, with the delay of every timer the client asked for. */
function recordingScheduler(): Scheduler & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    setTimeout: (callback, ms) => {
      delays.push(ms);
      return setTimeout(callback, ms);
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

describe('the API key never follows a redirect', () => {
  it.each([301, 302, 303, 307, 308])(
    'HTTP %i to another origin is refused, sent once, never followed',
    async (status) => {
      const elsewhere = await hostile((_, res) => res.end('{"response":{"healthy":true}}'));
      const redirector = await hostile((_, res) => {
        res.writeHead(status, { location: `${elsewhere.url}/steal` });
        res.end();
      });
      const { error } = await collectUntilError(clientFor(redirector.url).invoke(turn));
      expect(error).toBeInstanceOf(ConnectlyConnectionError);
      expect(error).toMatchObject({ phase: 'connect', errorCode: 'ERR_REDIRECT' });
      expect((error as Error).message).toMatch(`redirect (HTTP ${status} to ${elsewhere.url})`);
      expect(redirector.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    },
  );

  it('a redirect loop on an idempotent call is one request and a connect error, not a retry storm', async () => {
    const loop = await hostile((req, res) => {
      res.writeHead(307, { location: req.url });
      res.end();
    });
    const { error } = await collectUntilError(clientFor(loop.url, { maxRetries: 3 }).health());
    expect(error).toMatchObject({ name: 'ConnectlyConnectionError', phase: 'connect', errorCode: 'ERR_REDIRECT' });
    expect(loop.requests).toHaveLength(1);
  });

  it('asks for no compression, and refuses a compressed answer whose end cannot be checked', async () => {
    const body = gzipSync(`${line('s', text('one'))}\n${line('s', text('two'))}\n`);
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body.subarray(0, body.length - 8)); // no gzip trailer: the stream was cut
    });
    const { values, error } = await collectUntilError(clientFor(server.url).invoke(turn));
    expect(server.requests[0]?.headers['accept-encoding']).toBe('identity');
    expect(values).toEqual([]);
    expect(error).toBeInstanceOf(ConnectlyProtocolError);
    expect(error).toMatchObject({ reason: 'unexpected-encoding' });
  });
});

describe('a transport that adds the key itself (fetchAddsApiKey)', () => {
  /** A fetch that adds the key to every request, as n8n's credential helpers do, and records what it was handed. */
  function authenticatingFetch(): FetchLike & { handed: Array<{ url: string; headers: Record<string, string> }> } {
    const handed: Array<{ url: string; headers: Record<string, string> }> = [];
    const fetch: FetchLike = async (url, init) => {
      handed.push({ url, headers: { ...init.headers } });
      return globalThis.fetch(url, { ...init, headers: { ...init.headers, 'x-api-key': KEY } });
    };
    return Object.assign(fetch, { handed });
  }

  it('gets no key header from either client, only addresses under baseUrl, and the calls succeed', async () => {
    const fetch = authenticatingFetch();
    const agent = clientFor(h.mock.url, { fetch, fetchAddsApiKey: true });
    const messaging = new ConnectlyMessagingClient({
      apiKey: KEY,
      businessId: 'biz-1',
      baseUrl: h.mock.url,
      fetch,
      fetchAddsApiKey: true,
    });
    await expect(firstValueFrom(agent.health())).resolves.toEqual({ healthy: true });
    await expect(messaging.listWebhooks()).resolves.toEqual([]);
    expect(fetch.handed).toHaveLength(2);
    for (const { url, headers } of fetch.handed) {
      expect(url.startsWith(`${h.mock.url}/`)).toBe(true);
      expect(Object.keys(headers)).not.toContain('x-api-key');
      expect(leaksKey(JSON.stringify(headers))).toBe(false);
    }
  });

  it('still never follows a redirect to another origin', async () => {
    const elsewhere = await hostile((_, res) => res.end('{"response":{"healthy":true}}'));
    const redirector = await hostile((_, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/steal` });
      res.end();
    });
    const fetch = authenticatingFetch();
    const { error } = await collectUntilError(clientFor(redirector.url, { fetch, fetchAddsApiKey: true }).invoke(turn));
    expect(error).toMatchObject({ name: 'ConnectlyConnectionError', errorCode: 'ERR_REDIRECT' });
    expect(fetch.handed).toHaveLength(1);
    expect(fetch.handed[0]?.url.startsWith(`${redirector.url}/`)).toBe(true);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('is refused without the fetch that adds the key, naming the fix', () => {
    expect(() => clientFor(h.mock.url, { fetchAddsApiKey: true })).toThrow(
      expect.objectContaining({ field: 'fetchAddsApiKey', message: expect.stringContaining('pass it as `fetch`') }),
    );
    expect(() =>
      clientFor(h.mock.url, { fetch: globalThis.fetch as FetchLike, fetchAddsApiKey: 'yes' as never }),
    ).toThrow(ConnectlyValidationError);
  });

  it('without the option, the client sends the key itself', async () => {
    const handed: Array<Record<string, string>> = [];
    const fetch: FetchLike = (url, init) => {
      handed.push(init.headers);
      return globalThis.fetch(url, init);
    };
    await expect(firstValueFrom(clientFor(h.mock.url, { fetch }).health())).resolves.toEqual({ healthy: true });
    expect(handed[0]?.['x-api-key']).toBe(KEY);
  });
});

describe('redaction is total', () => {
  it('a key the excerpt would cut through is gone from the message, the preview and inspect()', async () => {
    // The key starts 100 characters in: an excerpt of 120 cuts it after 20 characters.
    const server = await hostile((_, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html>${'x'.repeat(94)}${KEY}${'y'.repeat(200)}</html>`);
    });
    const { error } = await collectUntilError(clientFor(server.url, { maxRetries: 0 }).invoke(turn));
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status: 502 });
    expect(leaksKey(everything(error))).toBe(false);
  });

  it('a malformed stream line: neither its preview nor the JSON parser’s own text keeps part of the key', async () => {
    const bad = `{"result":{"response":{"note":"${'z'.repeat(60)}${KEY}" oops }}}`;
    h.mock.inject({ body: `${line('s', text('first'))}\n${bad}\n` });
    const { values, error } = await collectUntilError(h.client.invoke({ ...turn, sessionId: await h.newSession() }));
    expect(values).toHaveLength(1);
    expect(error).toMatchObject({ name: 'ConnectlyProtocolError', reason: 'malformed-line', line: 2 });
    expect(leaksKey(everything(error))).toBe(false);
  });

  it('a line over maxLineLength that holds the key: its preview is cut after the key is removed', async () => {
    h.mock.inject({ body: `${'w'.repeat(100)}${KEY}${'w'.repeat(2000)}\n` });
    const client = h.clientWith({ maxLineLength: 1000 });
    const { error } = await collectUntilError(client.invoke({ ...turn, sessionId: await h.newSession() }));
    expect(error).toMatchObject({ reason: 'line-too-long' });
    expect(leaksKey(everything(error))).toBe(false);
  });

  it('the error behind a connection failure (a proxy quoting the request, say) keeps no part of the key', async () => {
    const proxyFailure = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error(`proxy refused the request with x-api-key: ${KEY}`), { code: 'ECONNRESET' }),
    });
    const client = clientFor('http://127.0.0.1:9', { fetch: () => Promise.reject(proxyFailure), maxRetries: 0 });
    const { error } = await collectUntilError(client.invoke(turn));
    expect(error).toMatchObject({ name: 'ConnectlyConnectionError', errorCode: 'ECONNRESET' });
    expect(inspect(error, { depth: 10 })).toMatch(/proxy refused the request with x-api-key: \[redacted\]/);
    expect(leaksKey(everything(error))).toBe(false);
  });

  it('a key read from a file with a trailing newline is trimmed, and works', async () => {
    const client = h.clientWith({ apiKey: `  ${KEY}\n` });
    await expect(firstValueFrom(client.health())).resolves.toEqual({ healthy: true });
    expect(leaksKey(inspect(client) + JSON.stringify(client))).toBe(false);
  });
});

describe('what goes into a header is checked up front', () => {
  it.each([
    ['apiKey', `${KEY}\r\nx-evil: 1`],
    ['apiKey', `${KEY}\u0000`],
    ['apiKey', `${KEY}日本`],
    ['businessId', 'biz\nx-evil: 1'],
    ['userAgent', 'agent\r\n'],
  ])('%s with a character a header cannot carry is a ConnectlyValidationError naming it', (field, value) => {
    let error: unknown;
    try {
      clientFor('http://127.0.0.1:9', { [field]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConnectlyValidationError);
    expect(error).toMatchObject({ field });
    expect((error as Error).message).toMatch(/character an HTTP header cannot carry/);
    expect(leaksKey(everything(error))).toBe(false);
  });

  it.each([
    ['credentials', 'http://user:s3cret-pass@127.0.0.1:9', /must not hold a user name or password/],
    ['an empty query', 'http://127.0.0.1:9/?', /query string or a fragment/],
    ['an empty fragment', 'http://127.0.0.1:9/#', /query string or a fragment/],
  ])('a base URL with %s is refused', (_, baseUrl, message) => {
    expect(() => clientFor(baseUrl)).toThrow(message);
    try {
      clientFor(baseUrl);
    } catch (error) {
      expect(everything(error)).not.toContain('s3cret-pass');
    }
  });
});

describe('time limits that hold', () => {
  it('timeoutMs bounds a whole unary answer, not only its headers', async () => {
    const body = '{"response":{"healthy":true}}';
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const drip = setInterval(() => {
        if (res.destroyed || sent >= body.length) {
          clearInterval(drip);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(body[sent++] ?? '');
      }, 100);
    });
    // Every byte comes well within the idle limit; the whole answer takes about 3 s.
    const client = clientFor(server.url, { timeoutMs: 1000, idleTimeoutMs: 60_000 });
    const { error } = await collectUntilError(client.health());
    expect(error).toMatchObject({ name: 'ConnectlyTimeoutError', timeoutMs: 1000 });
  });

  it('an error body that never comes is read under the idle limit, and the status and Retry-After survive', async () => {
    const server = await hostile((_, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.flushHeaders(); // and then nothing
    });
    const client = clientFor(server.url, { timeoutMs: 0, idleTimeoutMs: 500 });
    const { error } = await collectUntilError(client.invoke(turn));
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status: 503, retryAfterMs: 5000 });
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    [{ timeoutMs: 2 ** 31 }, 'timeoutMs'],
    [{ idleTimeoutMs: 2 ** 31, fetch: globalThis.fetch as never }, 'idleTimeoutMs'],
    [{ retryBaseDelayMs: 2 ** 31 }, 'retryBaseDelayMs'],
    [{ retryBaseDelayMs: Infinity }, 'retryBaseDelayMs'],
    [{ maxRetryDelayMs: 2 ** 31 }, 'maxRetryDelayMs'],
  ])('%j is refused: a timer cannot wait that long', (options, field) => {
    expect(() => clientFor('http://127.0.0.1:9', options)).toThrow(ConnectlyValidationError);
    expect(() => clientFor('http://127.0.0.1:9', options)).toThrow(new RegExp(`\`${field}\``));
  });

  it("a limit past Node fetch's own 300 s is refused unless a fetch of your own is given", () => {
    expect(() => clientFor('http://127.0.0.1:9', { timeoutMs: 300_001 })).toThrow(/gives up after that by itself/);
    expect(() =>
      clientFor('http://127.0.0.1:9', { idleTimeoutMs: 600_000, fetch: globalThis.fetch as never }),
    ).not.toThrow();
    expect(() => clientFor('http://127.0.0.1:9', { timeoutMs: Infinity })).not.toThrow();
  });

  it('maxRetryDelayMs: Infinity honours any Retry-After a timer can wait, and reports a longer one', async () => {
    h.mock.inject({ endpoint: 'health', status: 503, retryAfter: 0 });
    await expect(firstValueFrom(h.clientWith({ maxRetryDelayMs: Infinity }).health())).resolves.toEqual({
      healthy: true,
    });
    h.mock.inject({ endpoint: 'health', status: 503, retryAfter: 3_000_000 }); // 34 days
    const { error } = await collectUntilError(h.clientWith({ maxRetryDelayMs: Infinity }).health());
    expect(error).toMatchObject({ status: 503, retryAfterMs: 3_000_000_000 });
  });

  it.each(['-1', 'soon', 'Wed, 21 Oct 2015 07:28:00 GMT'])(
    'an unreadable Retry-After (%s) waits the normal back-off, not zero',
    async (retryAfter) => {
      const scheduler = recordingScheduler();
      h.mock.inject({ endpoint: 'health', status: 503, retryAfter });
      const client = h.clientWith({ scheduler, retryBaseDelayMs: 400, timeoutMs: 0, idleTimeoutMs: 0 });
      await expect(firstValueFrom(client.health())).resolves.toEqual({ healthy: true });
      expect(scheduler.delays).toHaveLength(1);
      expect(scheduler.delays[0]).toBeGreaterThanOrEqual(200);
      expect(scheduler.delays[0]).toBeLessThanOrEqual(400);
    },
  );
});

describe('hostile streams: nothing lost, every error typed', () => {
  it('kinds named like the event’s own fields keep their payload and cannot spoof them', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({
      events: [{ type: { a: 1 } }, { known: true }, { sessionId: 'spoofed' }, { payload: [1] }, text('ok')],
    });
    const events = await lastValueFrom(h.client.invoke({ ...turn, sessionId }).pipe(toArray()));
    expect(events.map((e) => [e.type, e.known, e.sessionId])).toEqual([
      ['type', false, sessionId],
      ['known', false, sessionId],
      ['sessionId', false, sessionId],
      ['payload', false, sessionId],
      ['messageEvent', true, sessionId],
    ]);
    expect(events.slice(0, 4).map(eventPayload)).toEqual([{ a: 1 }, true, 'spoofed', [1]]);
    expect(summarizeReply(events).text).toBe('ok');
    expect(await lastValueFrom(from(events).pipe(handovers(), toArray()))).toEqual([]);
  });

  it('a kind named __proto__ keeps its payload under payload and leaves the event a plain object', async () => {
    const sessionId = await h.newSession();
    // JSON.parse makes "__proto__" an own field, as it arrives from the wire.
    h.mock.inject({ events: [JSON.parse('{"__proto__": 5}'), JSON.parse('{"__proto__": {"polluted": true}}')] });
    const events = await lastValueFrom(h.client.invoke({ ...turn, sessionId }).pipe(toArray()));
    expect(events.map((e) => [e.type, e.known])).toEqual([
      ['__proto__', false],
      ['__proto__', false],
    ]);
    expect(events.map(eventPayload)).toEqual([5, { polluted: true }]);
    for (const event of events) {
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      expect(JSON.parse(JSON.stringify(event))).toMatchObject({ payload: eventPayload(event) });
    }
  });

  it('known kinds with wrongly typed payloads are delivered as they came; the summary skips what it cannot read', async () => {
    const sessionId = await h.newSession();
    const odd = [
      { messageEvent: null },
      { messageEvent: { content: 'text' } },
      { recommendationEvent: { products: 5 } },
      { recommendationEvent: { products: 'abc' } },
      { chatSuggestionEvent: { suggestedQuestions: {} } },
      { connectlyInteractiveEvent: 7 },
      { agentHandoverEvent: null },
      text('still here'),
    ];
    h.mock.inject({ events: odd });
    const reply = await h.client.reply({ ...turn, sessionId });
    expect(reply.events).toHaveLength(odd.length);
    expect(reply).toMatchObject({
      text: 'still here',
      products: [],
      suggestions: [],
      interactives: [],
      handover: false,
    });
    h.mock.inject({ events: odd });
    const texts = await lastValueFrom(
      h.client.invoke({ ...turn, sessionId }).pipe(ofType('messageEvent', 'recommendationEvent'), toArray()),
    );
    expect(texts).toHaveLength(5);
  });

  it('an error line inside the stream whose details nest too deeply is the API error with its code, details cut', async () => {
    const details = `[${'['.repeat(12_000)}${']'.repeat(12_000)}]`;
    h.mock.inject({
      body: `${line('s', text('first'))}\n{"error":{"code":13,"message":"boom","details":${details}}}\n`,
    });
    const { values, error } = await collectUntilError(h.client.invoke({ ...turn, sessionId: await h.newSession() }));
    expect(values).toHaveLength(1);
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status: 200, code: 13, serverMessage: 'boom' });
    expect(JSON.stringify(error)).toMatch(/nested more than 32 levels deep: left out/);
  });

  it('a line nested 100 000 levels deep is a protocol error, after the events before it', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    h.mock.inject({
      body: `${line('s', text('first'))}\n{"result":{"response":{"responseEvents":[{"x":${deep}}]}}}\n`,
    });
    const { values, error } = await collectUntilError(h.client.invoke({ ...turn, sessionId: await h.newSession() }));
    expect(values).toHaveLength(1);
    expect(error).toBeInstanceOf(ConnectlyProtocolError);
    expect((error as Error).message).toMatch(/line 2 nests objects or arrays more than 1000 levels deep/);
  });

  it('a unary answer nested 100 000 levels deep is a protocol error', async () => {
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"response":{"responseEvents":[{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}}`);
    });
    const { error } = await collectUntilError(clientFor(server.url).invokeSync(turn));
    expect(error).toBeInstanceOf(ConnectlyProtocolError);
    expect((error as Error).message).toMatch(/invoke_sync response nests objects or arrays more than 1000 levels/);
  });

  it('whitespace-only keep-alive lines are skipped like blank ones', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ body: ` \n\t\n \r\n${line(sessionId, text('a'))}\n \t \r\n${line(sessionId, text('b'))}\n` });
    const events = await lastValueFrom(h.client.invoke({ ...turn, sessionId }).pipe(toArray()));
    expect(events.map((e) => e.type)).toEqual(['messageEvent', 'messageEvent']);
  });
});

describe('hostile caller input is refused before the network', () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular['self'] = circular;
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 20_000; i += 1) deep = { d: deep };
  const throwing = Object.defineProperty({ role: 'USER' }, 'content', {
    enumerable: true,
    get() {
      throw new Error('getter exploded');
    },
  });
  const message = (metadata: unknown) => [
    { messageEvent: { role: 'USER', content: { textContent: { text: 'hi' } }, metadata } },
  ];

  it.each([
    ['circular metadata', message(circular), /inputEvents\[0\].messageEvent.metadata.self` contains itself/],
    ['a BigInt', message({ n: 10n }), /metadata.n` must be JSON data, got a bigint/],
    ['20 000-deep metadata', message(deep), /is nested more than 100 levels deep/],
    [
      'a throwing getter',
      [{ messageEvent: throwing }],
      /Reading `inputEvents\[0\].messageEvent` failed: getter exploded/,
    ],
    [
      'one field spelled two ways',
      [{ message_event: { role: 'USER', content: { text_content: { text: 'a' } } }, messageEvent: {} }],
      /holds both `message_event` and `messageEvent`/,
    ],
  ])('%s is a ConnectlyValidationError', async (_, inputEvents, pattern) => {
    const { values, error } = await collectUntilError(
      h.client.invoke({ ...turn, inputEvents, text: undefined } as never),
    );
    expect(values).toEqual([]);
    expect(error).toBeInstanceOf(ConnectlyValidationError);
    expect((error as Error).message).toMatch(pattern);
    expect(h.mock.requests).toHaveLength(0);
  });

  it('a request spelling a field two ways, or with a throwing getter, is refused too', async () => {
    const twice = await collectUntilError(h.client.init({ clientKey: 'a', client_key: 'b' } as never));
    expect((twice.error as Error).message).toMatch(/holds both `clientKey` and `client_key`/);
    const getter = Object.defineProperty({}, 'clientKey', {
      enumerable: true,
      get: () => {
        throw new TypeError('no');
      },
    });
    const read = await collectUntilError(h.client.init(getter as never));
    expect(read.error).toBeInstanceOf(ConnectlyValidationError);
    const badOption = await collectUntilError(h.client.health({}, { timeoutMs: 10n as never }));
    expect((badOption.error as Error).message).toMatch(/got 10n/);
    expect(h.mock.requests).toHaveLength(0);
  });
});

describe('errors say what happened', () => {
  it('a port fetch refuses is a connect error with the real reason, and is not retried', async () => {
    const scheduler = recordingScheduler();
    const client = clientFor('http://127.0.0.1:6000', { scheduler, maxRetries: 3, timeoutMs: 0 });
    const { error } = await collectUntilError(client.health());
    expect(error).toMatchObject({ name: 'ConnectlyConnectionError', phase: 'connect' });
    expect((error as Error).message).toBe(
      'Could not reach Connectly at 127.0.0.1:6000 for health: fetch refuses to connect to that port ' +
        '(a "bad port" of the Fetch standard, such as 1, 22 or 6000): use another port',
    );
    expect(scheduler.delays).toEqual([]);
  });
});

describe('one error path for both clients: every refusal is the typed HTTP error, bounded and without the key', () => {
  /** Both clients' one call against `url`, resolving with what it failed with. */
  const callers = {
    'agent client': (url: string, apiKey: string) =>
      collectUntilError(clientFor(url, { apiKey, maxRetries: 0 }).invoke(turn)).then((r) => r.error),
    'messaging client': (url: string, apiKey: string) =>
      new ConnectlyMessagingClient({ apiKey, businessId: 'biz-1', baseUrl: url, maxRetries: 0 })
        .sendMessage({ to: '+15550001111', message: { text: 'hi' } })
        .then(
          () => undefined,
          (error: unknown) => error,
        ),
  };
  const typed = { 'agent client': 'ConnectlyApiError', 'messaging client': 'ConnectlyMessagingError' } as const;
  const clients = Object.keys(callers) as Array<keyof typeof callers>;

  // Runs of 7 between the odd characters: only the key as a whole, or as JSON writes it, can be found.
  const keyWith = (odd: string): string => ['ck_live', '7f3a9c1', 'e5b2d8f', '4a6c0e9'].join(odd);

  /** True when `text` holds 8 characters in a row of `key`, as it is or as JSON writes it. */
  function leaks(text: string, key: string): boolean {
    for (const form of [key, JSON.stringify(key).slice(1, -1)]) {
      for (let i = 0; i + 8 <= form.length; i += 1) if (text.includes(form.slice(i, i + 8))) return true;
    }
    return false;
  }

  it.each(clients)('%s: details 20 000 levels deep are the HTTP 400 with its status and code', async (name) => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const server = await hostile((_, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(`{"code":3,"message":"bad turn","details":[{"x":${deep}}]}`);
    });
    const error = await callers[name](server.url, KEY);
    expect(error).toMatchObject({ name: typed[name], status: 400 });
    expect((error as Error).message).toMatch(/HTTP 400.*bad turn/);
    expect(() => JSON.stringify(error)).not.toThrow();
  });

  it.each(
    clients.flatMap((name) => [
      [name, 'tabs', keyWith('\t')],
      [name, 'double quotes', keyWith('"')],
      [name, 'backslashes', keyWith('\\')],
    ]),
  )('%s: a key holding %s, echoed in details, is the HTTP 400 and never shown', async (name, _, apiKey) => {
    const server = await hostile((req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      const echoed = { '@type': 'type.googleapis.com/google.rpc.DebugInfo', header: req.headers['x-api-key'] };
      res.end(
        JSON.stringify({ code: 3, message: 'bad key', details: [echoed, { [String(req.headers['x-api-key'])]: 1 }] }),
      );
    });
    const error = await callers[name](server.url, apiKey);
    expect(server.requests[0]?.headers['x-api-key']).toBe(apiKey);
    expect(error).toMatchObject({ name: typed[name], status: 400 });
    expect(leaks(everything(error), apiKey)).toBe(false);
    expect(JSON.stringify((error as { details: unknown }).details)).toContain('[redacted]');
  });

  it.each(clients)(
    '%s: a 60 KB server message is cut short in the error, as a body that is not JSON is',
    async (name) => {
      const server = await hostile((_, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 3, message: `bad turn ${'x'.repeat(60_000)}` }));
      });
      const error = (await callers[name](server.url, KEY)) as Error & { serverMessage: string };
      expect(error).toMatchObject({ name: typed[name], status: 400 });
      expect(error.message).toMatch(/bad turn x+…/);
      expect(error.message.length).toBeLessThan(1_000);
      expect(error.serverMessage.length).toBeLessThan(1_000);
    },
  );
});

describe('a turn counts as not processed only when the answer proves it, by the rule retries follow', () => {
  it.each([
    [500, false],
    [502, false],
    [504, false],
    [400, true],
    [401, true],
    [403, true],
    [404, true],
    [429, true],
    [503, true],
  ])('HTTP %i: turnNotProcessed() is %s', async (status, notProcessed) => {
    const server = await hostile((_, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: status === 504 ? 4 : 2, message: 'refused or failed' }));
    });
    const { error } = await collectUntilError(clientFor(server.url, { maxRetries: 0 }).invoke(turn));
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status });
    expect(turnNotProcessed(error)).toBe(notProcessed);
  });

  it('an error line after the stream began, a time limit and a broken answer prove nothing', async () => {
    const server = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${line('s-1', text('part'))}\n{"error":{"code":3,"message":"late"}}\n`);
    });
    const inStream = await collectUntilError(clientFor(server.url).invoke(turn));
    const silent = await hostile(() => undefined);
    const timedOut = await collectUntilError(clientFor(silent.url, { timeoutMs: 100 }).invoke(turn));
    const cut = await hostile((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${line('s-1', text('part'))}\n`);
      res.destroy();
    });
    const broken = await collectUntilError(clientFor(cut.url).invoke(turn));
    expect([inStream.error, timedOut.error, broken.error].map((e) => (e as Error).name)).toEqual([
      'ConnectlyApiError',
      'ConnectlyTimeoutError',
      'ConnectlyConnectionError',
    ]);
    expect([inStream.error, timedOut.error, broken.error].map(turnNotProcessed)).toEqual([false, false, false]);
  });
});
