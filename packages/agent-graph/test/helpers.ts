// Shared test setup: a mock server on 127.0.0.1:0 and a client pointed at it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import { MockConnectlyServer, type MockServerOptions } from 'connectly-agent-graph-mock';
import {
  ConnectlyClient,
  type ConnectlyClientOptions,
  type ConnectlyLogger,
  ConnectlyMessagingClient,
  type ConnectlyMessagingClientOptions,
} from '../src/index.js';

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

/** A receiver for the webhook deliveries a mock makes, on 127.0.0.1 for the file: answers each with 200. */
export function useHookReceiver(): { url: string } {
  const receiver = { url: '' };
  const server = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  return receiver;
}

export interface LogLine {
  level: 'debug' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every line it is given, in order. */
export function recorder(): { logger: ConnectlyLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    logger: {
      debug: (fields, message) => lines.push({ level: 'debug', fields, message }),
      warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    },
  };
}

export interface MessagingHarness {
  /** A fresh mock per test. */
  mock: MockConnectlyServer;
  /** A messaging client pointed at it, with quick retries. */
  client(more?: Partial<ConnectlyMessagingClientOptions>): ConnectlyMessagingClient;
}

/** Starts a Message API mock before each test (its registry and clock fresh) and stops it after. */
export function useMessagingMock(
  options: MockServerOptions & { apiKey: string; businessId: string },
): MessagingHarness {
  const harness: MessagingHarness = {
    mock: undefined as unknown as MockConnectlyServer,
    client: (more = {}) =>
      new ConnectlyMessagingClient({
        apiKey: options.apiKey,
        businessId: options.businessId,
        baseUrl: harness.mock.url,
        retryBaseDelayMs: 5,
        ...more,
      }),
  };
  beforeEach(async () => {
    harness.mock = new MockConnectlyServer(options);
    await harness.mock.start();
  });
  afterEach(() => harness.mock.stop());
  return harness;
}
