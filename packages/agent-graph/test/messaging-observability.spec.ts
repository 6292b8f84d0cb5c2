// The Message and Webhook APIs on the one request pipeline: each call is logged and traced as an agent
// call is (a client span in the caller's trace through the real OpenTelemetry SDK, its traceparent sent,
// its status on failure), and neither the log nor the span ever holds the key.
import * as opentelemetry from '@opentelemetry/api';
import { ConnectlyMessagingError } from '../src/index.js';
import { recorder, useHookReceiver, useMessagingMock } from './helpers.js';
import { useTracing } from './tracing.js';

const KEY = 'sk-messaging-OBSERVED-7d2e';
const BIZ = 'biz-1';
const CUSTOMER = '+15550002222';
const { exporter, spansNamed } = useTracing();
const hook = useHookReceiver();
const m = useMessagingMock({ apiKey: KEY, businessId: BIZ, messaging: { timeScale: 0.001 } });
const client = m.client;

describe('OpenTelemetry', () => {
  it('makes a Message API call a client span of the caller’s trace, and sends its traceparent', async () => {
    const c = client({ openTelemetry: opentelemetry });
    const tracer = opentelemetry.trace.getTracer('the-app');
    const route = await tracer.startActiveSpan('POST /setup', async (span) => {
      await c.createWebhook({ topic: 'messages', address: hook.url });
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
      'server.address': new URL(m.mock.url).host,
      'http.response.status_code': 200,
      'connectly.retries': 0,
    });
    expect(create?.status.code).toBe(opentelemetry.SpanStatusCode.UNSET);
    const traceparent = m.mock.requests.find((r) => r.path.endsWith('/create/webhooks'))?.headers['traceparent'];
    expect(traceparent).toBe(`00-${route.traceId}-${create?.spanContext().spanId}-01`);
  });

  it('marks a refused send as an error with its status and retries, never recording the key', async () => {
    const c = client({ openTelemetry: opentelemetry });
    await c.createWebhook({ topic: 'messages', address: hook.url });
    await m.mock.customer(CUSTOMER).says('Hi');
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 429, retryAfter: 0 });
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 500, message: `bad key ${KEY} here` });
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
    await c.createWebhook({ topic: 'messages', address: hook.url });
    await m.mock.customer(CUSTOMER).says('Hi');
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 429, retryAfter: 0 });
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
    expect(lines[0]?.fields).toEqual({ endpoint: 'create/webhooks', host: new URL(m.mock.url).host });
  });

  it('logs a refusal as a warning, never with the key, even when the server echoes it', async () => {
    const { logger, lines } = recorder();
    const c = client({ logger });
    await c.createWebhook({ topic: 'messages', address: hook.url });
    await m.mock.customer(CUSTOMER).says('Hi');
    m.mock.messaging.failNextSend({ code: 'ERROR_CODE_UNSPECIFIED', status: 500, message: `bad key ${KEY} here` });
    await expect(c.sendMessage({ to: CUSTOMER, message: { text: 'Hello' } })).rejects.toThrow(ConnectlyMessagingError);
    const warning = lines.find((line) => line.level === 'warn');
    expect(warning?.message).toMatch(/^connectly send\/messages: /);
    expect(warning?.message).toContain('[redacted]');
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });
});
