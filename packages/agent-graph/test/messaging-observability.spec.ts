// The Message and Webhook APIs on the one request pipeline: each call is logged and traced as an agent
// call is (a client span in the caller's trace through the real OpenTelemetry SDK, its traceparent sent,
// its status on failure), and neither the log nor the span ever holds the key.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as opentelemetry from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  type ConnectlyLogger,
  ConnectlyMessagingClient,
  type ConnectlyMessagingClientOptions,
  ConnectlyMessagingError,
} from '../src/index.js';

const KEY = 'sk-messaging-OBSERVED-7d2e';
const BIZ = 'biz-1';
const CUSTOMER = '+15550002222';
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let mock: MockConnectlyServer;
let hookServer: ReturnType<typeof createServer>;
let hookUrl: string;

beforeAll(async () => {
  opentelemetry.context.setGlobalContextManager(contextManager.enable());
  opentelemetry.trace.setGlobalTracerProvider(provider);
  opentelemetry.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  hookServer = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise((resolve) => hookServer.close(resolve));
  await provider.shutdown();
  opentelemetry.trace.disable();
  opentelemetry.context.disable();
  opentelemetry.propagation.disable();
});
beforeEach(async () => {
  exporter.reset();
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: BIZ, messaging: { timeScale: 0.001 } });
  await mock.start();
});
afterEach(() => mock.stop());

function client(more: Partial<ConnectlyMessagingClientOptions> = {}): ConnectlyMessagingClient {
  return new ConnectlyMessagingClient({
    apiKey: KEY,
    businessId: BIZ,
    baseUrl: mock.url,
    retryBaseDelayMs: 5,
    ...more,
  });
}

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

interface Line {
  level: 'debug' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

function recorder(): { logger: ConnectlyLogger; lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    logger: {
      debug: (fields, message) => lines.push({ level: 'debug', fields, message }),
      warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    },
  };
}

describe('OpenTelemetry', () => {
  it('makes a Message API call a client span of the caller’s trace, and sends its traceparent', async () => {
    const c = client({ openTelemetry: opentelemetry });
    const tracer = opentelemetry.trace.getTracer('the-app');
    const route = await tracer.startActiveSpan('POST /setup', async (span) => {
      await c.createWebhook({ topic: 'messages', address: hookUrl });
      span.end();
      return span.spanContext();
    });
    const spans = spansNamed('connectly create/webhooks');
    expect(spans).toHaveLength(1);
    const [create] = spans;
    expect(create?.kind).toBe(opentelemetry.SpanKind.CLIENT);
    expect(create?.spanContext().traceId).toBe(route.traceId);
    expect(create?.parentSpanContext?.spanId).toBe(route.spanId);
    expect(create?.attributes).toMatchObject({
      'connectly.endpoint': 'create/webhooks',
      'server.address': new URL(mock.url).host,
      'http.response.status_code': 200,
      'connectly.retries': 0,
    });
    expect(create?.status.code).toBe(opentelemetry.SpanStatusCode.UNSET);
    const traceparent = mock.requests.find((r) => r.path.endsWith('/create/webhooks'))?.headers['traceparent'];
    expect(traceparent).toBe(`00-${route.traceId}-${create?.spanContext().spanId}-01`);
  });

  it('marks a refused send as an error with its status and retries, never recording the key', async () => {
    const c = client({ openTelemetry: opentelemetry });
    await c.createWebhook({ topic: 'messages', address: hookUrl });
    await mock.customer(CUSTOMER).says('Hi');
    mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 429, retryAfter: 0 });
    mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 500, message: `bad key ${KEY} here` });
    const error = await c.sendMessage({ to: CUSTOMER, message: { text: 'Hello' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectlyMessagingError);
    const [send] = spansNamed('connectly send/messages');
    expect(send?.attributes).toMatchObject({
      'connectly.endpoint': 'send/messages',
      'http.response.status_code': 500,
      'connectly.retries': 1,
    });
    expect(send?.status.code).toBe(opentelemetry.SpanStatusCode.ERROR);
    expect(send?.status.message).toBe((error as Error).message);
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => [s.attributes, s.status, s.events]))).not.toContain(
      KEY,
    );
  });
});

describe('the logger option', () => {
  it('sees each Message API call: the request, its retries, its status and its outcome', async () => {
    const { logger, lines } = recorder();
    const c = client({ logger });
    await c.createWebhook({ topic: 'messages', address: hookUrl });
    await mock.customer(CUSTOMER).says('Hi');
    mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 429, retryAfter: 0 });
    await c.sendMessage({ to: CUSTOMER, message: { text: 'Hello' } });
    expect(lines.map((line) => `${line.level} ${line.message}`)).toEqual([
      'debug connectly create/webhooks: request',
      'debug connectly create/webhooks: HTTP 200',
      'debug connectly create/webhooks: done',
      'debug connectly send/messages: request',
      'debug connectly send/messages: HTTP 429',
      expect.stringMatching(/^debug connectly send\/messages: retrying in \d+ ms after HTTP 429$/),
      'debug connectly send/messages: HTTP 200',
      'debug connectly send/messages: done',
    ]);
    expect(lines[0]?.fields).toEqual({ endpoint: 'create/webhooks', host: new URL(mock.url).host });
  });

  it('logs a refusal as a warning, never with the key, even when the server echoes it', async () => {
    const { logger, lines } = recorder();
    const c = client({ logger });
    await c.createWebhook({ topic: 'messages', address: hookUrl });
    await mock.customer(CUSTOMER).says('Hi');
    mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 500, message: `bad key ${KEY} here` });
    await expect(c.sendMessage({ to: CUSTOMER, message: { text: 'Hello' } })).rejects.toThrow(ConnectlyMessagingError);
    const warning = lines.find((line) => line.level === 'warn');
    expect(warning?.message).toMatch(/^connectly send\/messages: /);
    expect(warning?.message).toContain('[redacted]');
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });
});
