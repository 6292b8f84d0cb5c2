// invoke() through real HTTP against the mock server: the stream, its envelopes and its failures.
import { firstValueFrom, take } from 'rxjs';
import {
  ConnectlyApiError,
  ConnectlyConnectionError,
  ConnectlyProtocolError,
  type AgentEvent,
  eventPayload,
  isEventType,
} from '../src/index.js';
import { collect, collectUntilError, line, text, useMockServer } from './helpers.js';

const h = useMockServer();

describe('invoke streams the agent reply', () => {
  it('emits one typed event per response event, in order, with the sessionId', async () => {
    const sessionId = await h.newSession();
    const events = await collect(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'I want a festive gift' }),
    );
    expect(events.map((e) => e.type)).toEqual(['messageEvent', 'recommendationEvent', 'chatSuggestionEvent']);
    expect(events.every((e) => e.sessionId === sessionId && e.known)).toBe(true);
    const [message, recommendation] = events;
    expect(message && isEventType(message, 'messageEvent') && message.messageEvent.content?.textContent?.text).toMatch(
      /festive ideas/,
    );
    expect(
      recommendation &&
        isEventType(recommendation, 'recommendationEvent') &&
        recommendation.recommendationEvent.products,
    ).toHaveLength(3);
  });

  it('sends the documented request: path, headers and camelCase body', async () => {
    const sessionId = await h.newSession();
    await collect(h.client.invoke({ clientKey: 'customer-1', sessionId, agentId: 'agent-7', text: 'hi' }));
    const request = h.mock.requests.find((r) => r.endpoint === 'invoke');
    expect(request?.path).toBe('/external/v1/ai/agent_graph/invoke');
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-api-key']).toBe('[redacted]'); // present (the mock hides its value)
    expect(request?.body).toEqual({
      businessId: 'biz-1',
      clientKey: 'customer-1',
      sessionId,
      agentId: 'agent-7',
      inputEvents: [{ messageEvent: { role: 'USER', content: { textContent: { text: 'hi' } } } }],
    });
  });

  it('emits each event as soon as its line is complete, before the stream ends', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('first'), text('second')], stall: 'body', afterEvents: 1 });
    // The server stalls after the first line: receiving it proves nothing waits for the end of the body.
    const first = await firstValueFrom(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(first.type).toBe('messageEvent');
    await h.mock.waitForAbandoned(1);
  });

  it('emits every element when a line holds several events', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('a'), text('b'), text('c')], eventsPerLine: 3 });
    const events = await collect(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(
      events.map(
        (e) =>
          (e as { messageEvent: { content: { textContent: { text: string } } } }).messageEvent.content.textContent.text,
      ),
    ).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['single bytes', { chunkSize: 1 }],
    ['ragged chunks', { chunkSize: 'ragged' as const }],
    ['\\r\\n line endings', { lineEnding: '\r\n' as const }],
    ['a keep-alive flood', { keepAlive: 500 }],
    ['no final newline', { finalNewline: false }],
    ['bare {"response":…} lines', { envelope: 'response' as const }],
    ['bare event lines', { envelope: 'bare' as const }],
  ])('decodes the same events with %s', async (_, fault) => {
    const sessionId = await h.newSession();
    const events = [text('Olá! 👋 ¿Qué tal? 日本語'), { chatSuggestionEvent: { suggestedQuestions: ['é', '👍'] } }];
    h.mock.inject({ events, ...fault });
    const received = await collect(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(received.map((event) => ({ [event.type]: eventPayload(event) }))).toEqual(events);
    expect(received.every((e) => e.sessionId === sessionId)).toBe(true);
  });

  it('delivers an event of an unknown kind with its key and payload', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [{ quantumEvent: { spin: 'up', n: [1, 2] } }, text('after')] });
    const events = await collect(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(events[0]).toEqual({
      type: 'quantumEvent',
      quantumEvent: { spin: 'up', n: [1, 2] },
      known: false,
      sessionId,
    });
    expect(events[1]?.type).toBe('messageEvent');
  });

  it('is cold: nothing is sent until subscribed, and each subscription sends one request', async () => {
    const sessionId = await h.newSession();
    const invoke$ = h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(0);
    await collect(invoke$);
    await collect(invoke$);
    expect(h.mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(2);
  });

  it('aborts the HTTP request when the subscriber unsubscribes mid-stream', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('1'), text('2'), text('3')], lineDelayMs: 2000 });
    const first = await firstValueFrom(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }).pipe(take(1)),
    );
    expect(first.type).toBe('messageEvent');
    await h.mock.waitForAbandoned(1);
    expect(h.mock.streams.find((s) => s.endpoint === 'invoke')?.eventsWritten).toBe(1);
  });
});

describe('invoke reports failures after delivering what came before', () => {
  it('an error line mid-stream: the events before it, then a ConnectlyApiError with status 200', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({
      events: [text('a'), text('b'), text('c')],
      errorAfterEvents: 2,
      code: 14,
      message: 'agent crashed',
      details: [{ '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: 'x' }],
    });
    const { values, error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(values).toHaveLength(2);
    expect(error).toBeInstanceOf(ConnectlyApiError);
    expect(error).toMatchObject({
      status: 200,
      code: 14,
      codeName: 'UNAVAILABLE',
      serverMessage: 'agent crashed',
      endpoint: 'invoke',
    });
    expect((error as ConnectlyApiError).details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: 'x' },
    ]);
  });

  it('an error line without a final newline is still reported', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('a')], errorAfterEvents: 1, errorFinalNewline: false, code: 13 });
    const { values, error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(values).toHaveLength(1);
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status: 200, code: 13 });
  });

  it.each([
    ['a bare status body', 'status' as const],
    ['an {"error":…} body', 'wrapped' as const],
  ])('a non-2xx answer with %s becomes a ConnectlyApiError', async (_, errorBody) => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 403, code: 7, message: 'not your business', errorBody });
    const { error } = await collectUntilError(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(error).toMatchObject({
      status: 403,
      code: 7,
      codeName: 'PERMISSION_DENIED',
      serverMessage: 'not your business',
    });
    expect((error as Error).message).toMatch(/not allowed to use this businessId/);
  });

  it('a non-JSON error page gives the status and a short excerpt', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 502, errorBody: 'html' });
    const { error } = await collectUntilError(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(error).toBeInstanceOf(ConnectlyApiError);
    expect(error).toMatchObject({ status: 502, code: 14 });
    expect((error as Error).message).toMatch(/HTTP 502.*not a Connectly error: "<html><head><title>502 Error/);
  });

  it('an unknown session is a NOT_FOUND error that says to call init()', async () => {
    const { error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId: 'no-such-session', text: 'hi' }),
    );
    expect(error).toMatchObject({ status: 404, code: 5 });
    expect((error as Error).message).toMatch(/call init\(\)/);
  });

  it('a connection reset between lines is an error, never a quiet completion', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('a'), text('b')], resetAfterEvents: 1 });
    const { values, error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(values).toHaveLength(1);
    expect(error).toBeInstanceOf(ConnectlyConnectionError);
    expect(error).toMatchObject({ phase: 'response' });
    expect((error as Error).message).toMatch(/broke during invoke/);
  });

  it('a connection reset mid-line is an error too', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('a'), text('b')], resetAfterEvents: 1, resetMidLine: true });
    const { values, error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(values).toHaveLength(1);
    expect(error).toBeInstanceOf(ConnectlyConnectionError);
  });

  it('a malformed line is a ConnectlyProtocolError naming the line, after the events before it', async () => {
    h.mock.inject({ body: `\n${line('s', text('ok'))}\n{"result": nope}\n${line('s', text('never'))}\n` });
    const { values, error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId: 's', text: 'hi' }),
    );
    expect(values).toHaveLength(1);
    expect(error).toBeInstanceOf(ConnectlyProtocolError);
    expect(error).toMatchObject({ reason: 'malformed-line', line: 3 });
  });

  it('a line over maxLineLength is a ConnectlyProtocolError', async () => {
    h.mock.inject({ body: `${line('s', text('x'.repeat(5000)))}\n` });
    const client = h.clientWith({ maxLineLength: 1000 });
    const { error } = await collectUntilError(client.invoke({ clientKey: 'customer-1', sessionId: 's', text: 'hi' }));
    expect(error).toMatchObject({ name: 'ConnectlyProtocolError', reason: 'line-too-long', line: 1 });
  });

  it('invalid UTF-8 is a ConnectlyProtocolError', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${line('s', text('ok'))}\n{"x":"`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]);
    h.mock.inject({ bodyBase64: bytes.toString('base64') });
    const { values, error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId: 's', text: 'hi' }),
    );
    expect(values).toHaveLength(1);
    expect(error).toMatchObject({ name: 'ConnectlyProtocolError', reason: 'invalid-utf8', line: 2 });
  });

  it('a UTF-8 byte order mark at the start is skipped', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${line('s', text('ok'))}\n`)]);
    h.mock.inject({ bodyBase64: bytes.toString('base64') });
    const events: AgentEvent[] = await collect(
      h.client.invoke({ clientKey: 'customer-1', sessionId: 's', text: 'hi' }),
    );
    expect(events).toHaveLength(1);
  });
});
