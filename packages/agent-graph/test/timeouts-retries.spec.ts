// Timeouts, retries and cancellation, through real HTTP against the mock server.
import { firstValueFrom } from 'rxjs';
import {
  ConnectlyAbortError,
  ConnectlyApiError,
  ConnectlyClient,
  ConnectlyConnectionError,
  ConnectlyTimeoutError,
} from '../src/index.js';
import { closedPort } from '../../../test/support/fault-matrix.js';
import { API_KEY, collect, collectUntilError, text, useMockServer } from './helpers.js';

const h = useMockServer();
const invokes = () => h.mock.requests.filter((r) => r.endpoint === 'invoke').length;

describe('timeouts', () => {
  it('fails with a headers timeout when no response arrives within timeoutMs', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ stall: 'headers' });
    const { error } = await collectUntilError(
      h.clientWith({ timeoutMs: 200 }).invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(error).toBeInstanceOf(ConnectlyTimeoutError);
    expect(error).toMatchObject({ phase: 'headers', timeoutMs: 200, endpoint: 'invoke' });
    expect((error as Error).message).toMatch(/raise the timeoutMs option/);
    await h.mock.waitForAbandoned(1);
  });

  it('fails with an idle timeout when the stream goes silent, after delivering what came', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('a'), text('b')], stall: 'body', afterEvents: 1 });
    const { values, error } = await collectUntilError(
      h.clientWith({ idleTimeoutMs: 250 }).invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(values).toHaveLength(1);
    expect(error).toMatchObject({ name: 'ConnectlyTimeoutError', phase: 'idle', timeoutMs: 250 });
    await h.mock.waitForAbandoned(1);
  });

  it('keeps a slow stream alive while keep-alive lines arrive', async () => {
    const sessionId = await h.newSession();
    // 700 ms between events, a blank line every 100 ms, against a 300 ms idle timeout.
    h.mock.inject({ events: [text('a'), text('b')], lineDelayMs: 700, keepAliveEveryMs: 100 });
    const events = await collect(
      h.clientWith({ idleTimeoutMs: 300 }).invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(events).toHaveLength(2);
  });

  it('takes per-call timeouts over the client defaults', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ stall: 'headers' });
    const { error } = await collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }, { timeoutMs: 150 }),
    );
    expect(error).toMatchObject({ name: 'ConnectlyTimeoutError', timeoutMs: 150 });
  });
});

describe('retries', () => {
  it('retries a 429 after its Retry-After and then streams', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 429, retryAfter: 1 });
    const started = Date.now();
    const events = await collect(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(events.length).toBeGreaterThan(0);
    expect(invokes()).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // the server asked for one second
  });

  it('retries a 503 without Retry-After with backoff', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 503, times: 2 });
    await collect(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(invokes()).toBe(3);
  });

  it('gives up after maxRetries with the last error', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 503, times: 5, message: 'overloaded' });
    const { error } = await collectUntilError(
      h.clientWith({ maxRetries: 1 }).invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(error).toMatchObject({ name: 'ConnectlyApiError', status: 503, code: 14, serverMessage: 'overloaded' });
    expect(invokes()).toBe(2);
  });

  it('does not wait for a Retry-After longer than maxRetryDelayMs: the error carries it', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 429, retryAfter: 120 });
    const { error } = await collectUntilError(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(error).toBeInstanceOf(ConnectlyApiError);
    expect((error as ConnectlyApiError).retryAfterMs).toBe(120_000);
    expect(invokes()).toBe(1);
  });

  it('never re-sends an invoke the server may have processed (500, reset)', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 500 });
    await collectUntilError(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(invokes()).toBe(1);
    h.mock.inject({ events: [text('a'), text('b')], resetAfterEvents: 1 });
    const { error } = await collectUntilError(h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(error).toBeInstanceOf(ConnectlyConnectionError);
    expect(invokes()).toBe(2);
  });

  it('retries health on a 500 (it changes nothing on the server)', async () => {
    h.mock.inject({ endpoint: 'health', status: 500 });
    await expect(firstValueFrom(h.client.health())).resolves.toEqual({ healthy: true });
    expect(h.mock.requests.filter((r) => r.endpoint === 'health')).toHaveLength(2);
  });

  it('retries a refused connection, then reports it with the fix', async () => {
    const port = await closedPort();
    let attempts = 0;
    const client = new ConnectlyClient({
      apiKey: API_KEY,
      businessId: 'b',
      baseUrl: `http://127.0.0.1:${port}`,
      retryBaseDelayMs: 10,
      maxRetries: 2,
      fetch: (url, init) => ((attempts += 1), fetch(url, init)),
    });
    const { error } = await collectUntilError(client.invoke({ clientKey: 'c', sessionId: 's', text: 'hi' }));
    expect(attempts).toBe(3);
    expect(error).toBeInstanceOf(ConnectlyConnectionError);
    expect(error).toMatchObject({ phase: 'connect', errorCode: 'ECONNREFUSED' });
    expect((error as Error).message).toMatch(
      /Could not reach Connectly at 127\.0\.0\.1:\d+ for invoke \(ECONNREFUSED\): check the baseUrl/,
    );
  });

  it('uses the injected fetch for every attempt', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 503 });
    const calls: string[] = [];
    const client = h.clientWith({ fetch: (url, init) => (calls.push(url), fetch(url, init)) });
    await collect(client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }));
    expect(calls).toEqual([
      `${h.mock.url}/external/v1/ai/agent_graph/invoke`,
      `${h.mock.url}/external/v1/ai/agent_graph/invoke`,
    ]);
  });
});

describe('cancellation', () => {
  it('an AbortSignal cancels a streaming invoke with ConnectlyAbortError and aborts the request', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ events: [text('a'), text('b')], stall: 'body', afterEvents: 1 });
    const controller = new AbortController();
    const received: unknown[] = [];
    const done = collectUntilError(
      h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }, { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 150);
    const { values, error } = await done;
    received.push(...values);
    expect(received).toHaveLength(1);
    expect(error).toBeInstanceOf(ConnectlyAbortError);
    await h.mock.waitForAbandoned(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const { error } = await collectUntilError(
      h.client.invoke({ clientKey: 'c', sessionId: 's', text: 'hi' }, { signal: AbortSignal.abort() }),
    );
    expect(error).toBeInstanceOf(ConnectlyAbortError);
    expect(invokes()).toBe(0);
  });

  it('cancelling during a retry back-off stops at once, without another attempt', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ status: 429, retryAfter: 10 });
    const controller = new AbortController();
    const started = Date.now();
    const done = collectUntilError(
      h
        .clientWith({ maxRetryDelayMs: 60_000 })
        .invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }, { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 200);
    const { error } = await done;
    expect(error).toBeInstanceOf(ConnectlyAbortError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(invokes()).toBe(1);
  });

  it('unsubscribing before the response arrives aborts the request', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({ stall: 'headers' });
    const subscription = h.client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 100));
    subscription.unsubscribe();
    await h.mock.waitForAbandoned(1);
  });
});
