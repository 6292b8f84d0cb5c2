// The fault matrix through the n8n node's Send Message (Continue On Fail, one item per event).
import { inspect } from 'node:util';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { BAD_INPUT, FAULT_MATRIX, baseUrlFor } from '../support/fault-matrix';
import { runNode } from './harness';

const KEY = 'n8n-matrix-key-7f3e';
let mock: MockConnectlyServer;

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY });
  await mock.start();
});
beforeEach(() => mock.reset());
afterEach(() => mock.waitForIdle(3000).catch(() => undefined));
afterAll(() => mock.stop());

const send = (sessionId: string, options: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  resource: 'agent',
  operation: 'sendMessage',
  clientKey: 'customer-1',
  sessionId,
  sessionMemory: 'new',
  inputType: 'text',
  text: 'hi',
  output: 'events',
  options,
  ...more,
});

// The node has no setting for the line limit, so that row is the core's alone. Among the bad inputs, an
// empty session ID means "start a new session" in the node, and its fields are always strings.
const rows = FAULT_MATRIX.filter((row) => row.client?.maxLineLength === undefined);

describe('fault matrix: the n8n node', () => {
  it.each(rows.map((row) => [row.name, row] as const))(
    '%s',
    async (_, row) => {
      const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: mock.url };
      const start = await runNode(
        { resource: 'session', operation: 'start', clientKey: 'customer-1', options: {} },
        { credentials },
      );
      const sessionId = start.outputs[0]?.[0]?.json['sessionId'] as string;
      if (row.fault) mock.inject({ ...row.fault });
      const options = {
        ...(row.client?.timeoutMs ? { timeout: row.client.timeoutMs / 1000 } : {}),
        ...(row.client?.idleTimeoutMs ? { idleTimeout: row.client.idleTimeoutMs / 1000 } : {}),
        ...(row.client?.maxRetries !== undefined ? { retries: row.client.maxRetries } : {}),
      };
      const { outputs } = await runNode(send(sessionId, options), {
        credentials: { ...credentials, baseUrl: await baseUrlFor(row.target ?? 'mock', mock.url) },
        continueOnFail: true,
      });
      const items = [...(outputs[0] ?? []), ...(outputs[1] ?? [])];
      const errorItem = items.find((item) => item.json['error'] !== undefined);
      if (row.error) {
        expect(errorItem?.pairedItem).toEqual({ item: 0 });
        expect(`${String(errorItem?.json['error'])} ${String(errorItem?.json['errorDetails'] ?? '')}`).toMatch(
          row.error.message,
        );
        expect(errorItem?.json['events']).toHaveLength(row.delivered);
        expect(JSON.stringify(items)).not.toContain(KEY);
      } else {
        expect(errorItem).toBeUndefined();
        expect(items).toHaveLength(row.delivered);
      }
      if (row.invokes !== undefined)
        expect(mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(row.invokes);
    },
    15_000,
  );

  it.each(
    BAD_INPUT.filter((row) => row.name !== 'an empty sessionId' && row.name !== 'a non-string ID').map(
      (row) => [row.name, row] as const,
    ),
  )('bad input: %s is refused before the network', async (_, row) => {
    const request = row.request as { clientKey?: string; sessionId?: string; text?: string; inputEvents?: unknown[] };
    const parameters = send(
      request.sessionId ?? 's',
      {},
      {
        clientKey: request.clientKey ?? '',
        ...(request.inputEvents
          ? { inputType: 'events', inputEvents: JSON.stringify(request.inputEvents) }
          : { text: request.text }),
      },
    );
    await expect(
      runNode(parameters, { credentials: { apiKey: KEY, businessId: 'biz', baseUrl: mock.url } }),
    ).rejects.toThrow();
    expect(mock.requests.filter((r) => r.endpoint !== 'init')).toHaveLength(0);
  });

  it.each(rows.filter((row) => row.error).map((row) => [row.name, row] as const))(
    'without Continue On Fail, the error thrown for %s never shows the key',
    async (_, row) => {
      const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: await baseUrlFor(row.target ?? 'mock', mock.url) };
      if (row.fault) mock.inject({ ...row.fault });
      const options = {
        ...(row.client?.timeoutMs ? { timeout: row.client.timeoutMs / 1000 } : {}),
        ...(row.client?.idleTimeoutMs ? { idleTimeout: row.client.idleTimeoutMs / 1000 } : {}),
        retries: 0,
      };
      const error = await runNode(send('', options), { credentials }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeDefined();
      expect(
        `${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error)}\n${String(error)}`,
      ).not.toContain(KEY);
    },
    15_000,
  );

  it('bad input: a credential base URL that is not a URL names the fix', async () => {
    await expect(
      runNode(send('s', {}), { credentials: { apiKey: KEY, businessId: 'biz', baseUrl: 'localhost:8080' } }),
    ).rejects.toThrow(/`baseUrl` must start with http/);
  });
});

describe("cancellation through the execution's cancel signal", () => {
  async function cancelled(fault: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<unknown> {
    const credentials = { apiKey: KEY, businessId: 'biz', baseUrl: mock.url };
    const start = await runNode(
      { resource: 'session', operation: 'start', clientKey: 'customer-1', options: {} },
      { credentials },
    );
    const sessionId = start.outputs[0]?.[0]?.json['sessionId'] as string;
    mock.inject(fault);
    const controller = new AbortController();
    const run = runNode(send(sessionId, options), { credentials, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    return run.then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('before the response arrives', async () => {
    const error = await cancelled({ stall: 'headers' });
    expect(String(error)).toMatch(/cancelled/);
    await mock.waitForAbandoned(1);
  });

  it('during a retry back-off, without another attempt', async () => {
    const error = await cancelled({ status: 429, retryAfter: 10 });
    expect(String(error)).toMatch(/cancelled/);
    expect(mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(1);
  });
});
