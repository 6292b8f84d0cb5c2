// OpenTelemetry in a real Nest app over HTTP: the route's span (started by the app, as HTTP instrumentation
// would), the client's span and the traceparent the Connectly server receives share one trace; a stream
// of a resumable turn is linked to the request that started the turn.
import 'reflect-metadata';
import * as opentelemetry from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Controller, type INestApplication, Param, Post, Query, Sse, type MessageEvent } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { Observable } from 'rxjs';
import { ConnectlyModule, ConnectlyService, ConnectlyTurns, MemoryTurnLogStore, toSse } from '../src/index.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let mock: MockConnectlyServer;
let app: INestApplication;
let url: string;

@Controller()
class ChatController {
  constructor(
    private readonly connectly: ConnectlyService,
    private readonly turns: ConnectlyTurns,
  ) {}

  @Post('turns')
  start(@Query('text') text: string): Promise<{ turnId: string }> {
    return this.turns.start(() => this.connectly.session({ clientKey: 'customer-2' }).send(text));
  }

  @Sse('turns/:turnId')
  follow(@Param('turnId') turnId: string): Observable<MessageEvent> {
    return this.turns.sse(turnId, undefined);
  }

  @Sse('chat')
  chat(@Query('sessionId') sessionId: string, @Query('text') text: string): Observable<MessageEvent> {
    return toSse(() => this.connectly.invoke({ clientKey: 'customer-1', sessionId, text }));
  }
}

beforeAll(async () => {
  opentelemetry.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  opentelemetry.trace.setGlobalTracerProvider(provider);
  opentelemetry.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  mock = new MockConnectlyServer({ apiKey: 'otel-key' });
  await mock.start();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConnectlyModule.forRoot({
        apiKey: 'otel-key',
        businessId: 'biz',
        baseUrl: mock.url,
        openTelemetry: opentelemetry,
        resumable: { store: new MemoryTurnLogStore() },
      }),
    ],
    controllers: [ChatController],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  const tracer = opentelemetry.trace.getTracer('the-app');
  app.use((req: { method: string; path: string }, res: { on(e: string, f: () => void): void }, next: () => void) =>
    tracer.startActiveSpan(`${req.method} ${req.path}`, { kind: opentelemetry.SpanKind.SERVER }, (span) => {
      res.on('close', () => span.end());
      next();
    }),
  );
  await app.listen(0, '127.0.0.1');
  url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
  await mock?.stop();
  await provider.shutdown();
  opentelemetry.trace.disable();
  opentelemetry.context.disable();
  opentelemetry.propagation.disable();
});

it('the route span, the client span and the traceparent Connectly receives share one trace', async () => {
  const init = await fetch(`${mock.url}/external/v1/ai/agent_graph/init`, {
    method: 'POST',
    headers: { 'x-api-key': 'otel-key' },
    body: JSON.stringify({ businessId: 'biz', clientKey: 'customer-1' }),
  });
  const { response } = (await init.json()) as { response: { sessionId: string } };
  mock.clearRecords();
  const body = await (await fetch(`${url}/chat?sessionId=${response.sessionId}&text=gift%20ideas`)).text();
  expect(body).toContain('event: connectly.done');
  await new Promise((resolve) => setImmediate(resolve));
  const spans = exporter.getFinishedSpans();
  const route = spans.find((span) => span.name === 'GET /chat');
  const client = spans.find((span) => span.name === 'connectly invoke');
  expect(route).toBeDefined();
  expect(client?.spanContext().traceId).toBe(route?.spanContext().traceId);
  expect(client?.parentSpanContext?.spanId).toBe(route?.spanContext().spanId);
  expect(client?.attributes).toMatchObject({
    'connectly.session_id': response.sessionId,
    'http.response.status_code': 200,
  });
  const traceparent = mock.requests.find((r) => r.endpoint === 'invoke')?.headers['traceparent'];
  expect(traceparent).toBe(`00-${route?.spanContext().traceId}-${client?.spanContext().spanId}-01`);
});

it('the stream of a resumable turn has its own span, linked to the request that started the turn', async () => {
  const { turnId } = (await (await fetch(`${url}/turns?text=hello`, { method: 'POST' })).json()) as { turnId: string };
  const body = await (await fetch(`${url}/turns/${turnId}`)).text();
  expect(body).toContain('event: connectly.done');
  await new Promise((resolve) => setImmediate(resolve));
  const spans = exporter.getFinishedSpans();
  const started = spans.find((span) => span.name === 'POST /turns');
  const read = spans.find((span) => span.name === `GET /turns/${turnId}`);
  const follow = spans.find((span) => span.name === 'connectly turn.follow');
  expect(follow?.parentSpanContext?.spanId).toBe(read?.spanContext().spanId);
  expect(follow?.links.map((link) => link.context.spanId)).toEqual([started?.spanContext().spanId]);
  expect(follow?.attributes).toMatchObject({
    'connectly.turn_id': turnId,
    'connectly.last_event_id': '0',
    'connectly.turn_end': 'completed',
  });
});
