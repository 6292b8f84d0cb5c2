// A real Nest app on 127.0.0.1:0 with SSE routes backed by the mock Connectly server, spoken to over HTTP.
import 'reflect-metadata';
import {
  Body,
  Controller,
  type INestApplication,
  type MessageEvent,
  Post,
  Query,
  RequestMethod,
  Sse,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConnectlyValidationError, type InvokeRequest } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { EMPTY, type Observable, lastValueFrom, toArray } from 'rxjs';
import { ConnectlyModule, ConnectlyService, toSse } from '../src/index.js';

const KEY = 'nest-sse-key-5f2c';

@Controller('chat')
class ChatController {
  constructor(private readonly connectly: ConnectlyService) {}

  @Sse('stream')
  stream(@Query('sessionId') sessionId: string, @Query('text') text: string): Observable<MessageEvent> {
    return toSse(() => this.connectly.invoke({ clientKey: 'customer-1', sessionId, text }));
  }

  @Sse('turn', { method: RequestMethod.POST })
  turn(@Body() body: InvokeRequest): Observable<MessageEvent> {
    return toSse(() => this.connectly.invoke(body), { heartbeatMs: 1000 });
  }

  @Post('session')
  async session(): Promise<{ sessionId: string }> {
    const session = this.connectly.session({ clientKey: 'customer-1' });
    return { sessionId: await session.start() };
  }
}

interface SseEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) event.comment = line.slice(1).trim();
        const match = /^(event|id|data): ?(.*)$/.exec(line);
        if (match) event[match[1] as 'event' | 'id' | 'data'] = match[2];
      }
      return event;
    });
}

/** Reads the stream until `pattern` has arrived (Nest opens SSE responses with a blank line first). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(pattern)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before "${pattern}": ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

let mock: MockConnectlyServer;
let app: INestApplication;
let base: string;

async function startApp(): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [ConnectlyModule.forRoot({ apiKey: KEY, businessId: 'biz', baseUrl: mock.url, idleTimeoutMs: 5000 })],
    controllers: [ChatController],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
  base = base.replace('[::1]', '127.0.0.1');
}

async function newSession(): Promise<string> {
  const response = await fetch(`${base}/chat/session`, { method: 'POST' });
  return ((await response.json()) as { sessionId: string }).sessionId;
}

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY });
  await mock.start();
});
beforeEach(async () => {
  mock.reset();
  await startApp();
});
afterEach(async () => {
  await app?.close();
});
afterAll(() => mock.stop());

describe('SSE routes backed by ConnectlyService', () => {
  it('GET: one SSE event per agent event, numbered, then connectly.done', async () => {
    const sessionId = await newSession();
    const response = await fetch(
      `${base}/chat/stream?sessionId=${sessionId}&text=${encodeURIComponent('a festive gift')}`,
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await response.text());
    expect(events.map((e) => e.event)).toEqual([
      'messageEvent',
      'recommendationEvent',
      'chatSuggestionEvent',
      'connectly.done',
    ]);
    expect(events.slice(0, 3).map((e) => e.id)).toEqual(['1', '2', '3']);
    const recommendation = JSON.parse(events[1]?.data ?? '{}') as {
      type: string;
      sessionId: string;
      recommendationEvent: { products: unknown[] };
    };
    expect(recommendation).toMatchObject({ type: 'recommendationEvent', sessionId, known: true });
    expect(recommendation.recommendationEvent.products).toHaveLength(3);
  });

  it('POST: the request body is the invoke request; heartbeats are SSE comments', async () => {
    const sessionId = await newSession();
    mock.inject({
      events: [
        { messageEvent: { content: { textContent: { text: 'slow' } } } },
        { agentHandoverEvent: { triggerHandover: true } },
      ],
      lineDelayMs: 1300,
    });
    const response = await fetch(`${base}/chat/turn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientKey: 'customer-1', sessionId, text: 'human please' }),
    });
    const events = parseSse(await response.text());
    expect(events.filter((e) => e.event).map((e) => e.event)).toEqual([
      'messageEvent',
      'agentHandoverEvent',
      'connectly.done',
    ]);
    expect(events.some((e) => e.comment === 'keepalive')).toBe(true);
  });

  it('an error becomes a typed connectly.error event after the events before it, without the key', async () => {
    const sessionId = await newSession();
    mock.inject({
      events: [{ messageEvent: {} }, { messageEvent: {} }],
      errorAfterEvents: 1,
      code: 14,
      message: `upstream saw ${KEY}`,
    });
    const text = await (await fetch(`${base}/chat/stream?sessionId=${sessionId}&text=hi`)).text();
    const events = parseSse(text);
    expect(events.map((e) => e.event)).toEqual(['messageEvent', 'connectly.error']);
    expect(JSON.parse(events[1]?.data ?? '{}')).toMatchObject({
      name: 'ConnectlyApiError',
      status: 200,
      code: 14,
      codeName: 'UNAVAILABLE',
    });
    expect(text).not.toContain(KEY);
  });

  it('bad input becomes a connectly.error event that names the fix, not an HTTP 500', async () => {
    const response = await fetch(`${base}/chat/stream?text=hi`);
    expect(response.status).toBe(200);
    const [event] = parseSse(await response.text());
    expect(event?.event).toBe('connectly.error');
    expect(JSON.parse(event?.data ?? '{}')).toMatchObject({
      name: 'ConnectlyValidationError',
      message: expect.stringContaining('call init() first'),
    });
    expect(mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(0);
  });

  it('a client that disconnects aborts the upstream request', async () => {
    const sessionId = await newSession();
    mock.inject({ events: [{ messageEvent: {} }, { messageEvent: {} }], stall: 'body', afterEvents: 1 });
    const controller = new AbortController();
    const response = await fetch(`${base}/chat/stream?sessionId=${sessionId}&text=hi`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await readUntil(reader, 'event: messageEvent');
    controller.abort();
    await mock.waitForAbandoned(1);
    expect(mock.streams.find((s) => s.endpoint === 'invoke')).toMatchObject({ abandoned: true, eventsWritten: 1 });
  });

  it('app.close() with a stream open ends it with an error event, aborts upstream, and returns within two seconds', async () => {
    const sessionId = await newSession();
    mock.inject({ events: [{ messageEvent: {} }, { messageEvent: {} }], stall: 'body', afterEvents: 1 });
    const response = await fetch(`${base}/chat/stream?sessionId=${sessionId}&text=hi`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = await readUntil(reader, 'event: messageEvent');
    const started = Date.now();
    await app.close();
    const closeMs = Date.now() - started;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(closeMs).toBeLessThan(2000);
    const events = parseSse(text);
    expect(events.map((e) => e.event)).toEqual(['messageEvent', 'connectly.error']);
    expect(JSON.parse(events[1]?.data ?? '{}').message).toMatch(/shutting down/);
    await mock.waitForAbandoned(1);
  });
});

describe('toSse options', () => {
  it.each([-1, 5, 0.5, 999, 1500.5, 2 ** 31, Number.NaN])(
    'refuses heartbeatMs %p instead of a keep-alive storm or a timer that fires at once',
    (heartbeatMs) => {
      expect(() => toSse(EMPTY, { heartbeatMs })).toThrow(ConnectlyValidationError);
      expect(() => toSse(EMPTY, { heartbeatMs })).toThrow(
        /`heartbeatMs` must be a whole number of milliseconds from 1000/,
      );
    },
  );

  it('takes 0 or nothing as no heartbeat', async () => {
    await expect(lastValueFrom(toSse(EMPTY, { heartbeatMs: 0 }).pipe(toArray()))).resolves.toEqual([
      { type: 'connectly.done', id: '1', data: {} },
    ]);
  });
});
