// Shared test setup: a mock server on 127.0.0.1:0 and a client pointed at it.
import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import { MockConnectlyServer, type MockServerOptions } from 'connectly-agent-graph-mock';
import { ConnectlyClient, type ConnectlyClientOptions } from '../src/index.js';

export const API_KEY = 'test-key-9f8e7d6c5b4a';

export interface Harness {
  mock: MockConnectlyServer;
  client: ConnectlyClient;
  clientWith(options: Partial<ConnectlyClientOptions>): ConnectlyClient;
  newSession(clientKey?: string): Promise<string>;
}

/** Starts one mock server for the file and a fresh client per test; stops everything after. */
export function useMockServer(
  options: MockServerOptions = {},
  clientOptions: Partial<ConnectlyClientOptions> = {},
): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.mock = new MockConnectlyServer({ apiKey: API_KEY, ...options });
    await harness.mock.start();
  });
  beforeEach(() => {
    harness.mock.reset();
    harness.clientWith = (more) =>
      new ConnectlyClient({
        apiKey: API_KEY,
        businessId: 'biz-1',
        baseUrl: harness.mock.url,
        retryBaseDelayMs: 20,
        ...clientOptions,
        ...more,
      });
    harness.client = harness.clientWith({});
    harness.newSession = async (clientKey = 'customer-1') =>
      (await firstValueFrom(harness.client.init({ clientKey }))).sessionId;
  });
  afterEach(async () => {
    await harness.mock.waitForIdle(3000).catch(() => undefined);
  });
  afterAll(async () => {
    await harness.mock.stop();
  });
  return harness;
}

export function collect<T>(source: Observable<T>): Promise<T[]> {
  return lastValueFrom(source.pipe(toArray()));
}

/** Collects what arrives before the stream fails, and the failure. */
export function collectUntilError<T>(source: Observable<T>): Promise<{ values: T[]; error: unknown }> {
  return new Promise((resolve) => {
    const values: T[] = [];
    source.subscribe({
      next: (value) => values.push(value),
      error: (error: unknown) => resolve({ values, error }),
      complete: () => resolve({ values, error: undefined }),
    });
  });
}

/** One wire line of the invoke stream. */
export function line(sessionId: string, ...responseEvents: unknown[]): string {
  return JSON.stringify({ result: { response: { sessionId, responseEvents } } });
}

export function text(value: string, role = 'ASSISTANT'): Record<string, unknown> {
  return { messageEvent: { role, content: { textContent: { text: value } } } };
}
