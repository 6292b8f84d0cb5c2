// OpenTelemetry through the real SDK and an in-memory exporter: one client span per call, in the caller's
// trace, with its attributes, and the `traceparent` the server receives names that span.
import * as opentelemetry from '@opentelemetry/api';
import { ConnectlyValidationError } from '../src/index.js';
import { API_KEY, collectUntilError, useMockServer } from './helpers.js';
import { useTracing } from './tracing.js';

const h = useMockServer({}, { openTelemetry: opentelemetry });
const { exporter, spansNamed } = useTracing();

it('one client span per call, child of the active span, and the traceparent the server gets names it', async () => {
  const sessionId = await h.newSession();
  h.mock.clearRecords();
  const tracer = opentelemetry.trace.getTracer('the-app');
  const { route, events } = await tracer.startActiveSpan('POST /chat', async (span) => {
    const reply = await h.client.reply({ clientKey: 'customer-1', sessionId, text: 'I want a festive gift' });
    span.end();
    return { route: span.spanContext(), events: reply.events.length };
  });
  expect(events).toBeGreaterThan(0);
  const [invoke] = spansNamed('connectly invoke');
  expect(spansNamed('connectly invoke')).toHaveLength(1);
  expect(invoke?.kind).toBe(opentelemetry.SpanKind.CLIENT);
  expect(invoke?.spanContext().traceId).toBe(route.traceId);
  expect(invoke?.parentSpanContext?.spanId).toBe(route.spanId);
  expect(invoke?.attributes).toMatchObject({
    'connectly.endpoint': 'invoke',
    'connectly.session_id': sessionId,
    'server.address': new URL(h.mock.url).host,
    'http.response.status_code': 200,
    'connectly.retries': 0,
    'connectly.events': events,
    'connectly.time_to_first_event_ms': expect.any(Number),
  });
  expect(invoke?.status.code).toBe(opentelemetry.SpanStatusCode.UNSET);
  const traceparent = h.mock.requests.find((r) => r.endpoint === 'invoke')?.headers['traceparent'];
  expect(traceparent).toBe(`00-${route.traceId}-${invoke?.spanContext().spanId}-01`);
});

it('counts retries, marks a failure as an error, and never records the key', async () => {
  h.mock.inject({ endpoint: 'init', status: 503, retryAfter: 0 });
  h.mock.inject({ endpoint: 'init', status: 400, message: `no such key ${API_KEY}` });
  const { error } = await collectUntilError(h.client.init({ clientKey: 'customer-1' }));
  expect(error).toBeDefined();
  const [init] = spansNamed('connectly init');
  expect(init?.attributes).toMatchObject({ 'http.response.status_code': 400, 'connectly.retries': 1 });
  expect(init?.status.code).toBe(opentelemetry.SpanStatusCode.ERROR);
  expect(init?.status.message).toMatch(/Connectly init failed \(HTTP 400/);
  expect(JSON.stringify(exporter.getFinishedSpans().map((s) => [s.attributes, s.status, s.events]))).not.toContain(
    API_KEY,
  );
});

it('ends the span of a cancelled call', async () => {
  const sessionId = await h.newSession();
  h.mock.inject({ lineDelayMs: 200 });
  for await (const event of h.client.stream({ clientKey: 'customer-1', sessionId, text: 'gift ideas' })) {
    expect(event.type).toBe('messageEvent');
    break;
  }
  await h.mock.waitForAbandoned();
  expect(spansNamed('connectly invoke')[0]?.attributes).toMatchObject({
    'connectly.cancelled': 'true',
    'connectly.events': 1,
  });
});

it('rejects an openTelemetry option that is not the API module', () => {
  expect(() => h.clientWith({ openTelemetry: {} as never })).toThrow(ConnectlyValidationError);
});
