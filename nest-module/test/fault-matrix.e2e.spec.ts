// The fault matrix through ConnectlyService.invoke() behind a real SSE route: every event before the
// fault, then one typed connectly.error event (or connectly.done), and nothing hangs.
import 'reflect-metadata';
import { Controller, type INestApplication, type MessageEvent, Query, Sse } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { Observable } from 'rxjs';
import { BAD_INPUT, FAULT_MATRIX, baseUrlFor } from '../../test/support/fault-matrix.js';
import { ConnectlyModule, ConnectlyService, toSse } from '../src/index.js';

const KEY = 'nest-matrix-key-91c2';
let mock: MockConnectlyServer;

// Everything Nest and the module log, so the key can be looked for there too.
const logged: string[] = [];
const capturing = {
  log: (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
  error: (...args: unknown[]) =>
    void logged.push(args.map((a) => (a instanceof Error ? `${a.stack}` : String(a))).join(' ')),
  warn: (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
  debug: (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
  verbose: (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
};

@Controller()
class TurnController {
  constructor(private readonly connectly: ConnectlyService) {}

  @Sse('turn')
  turn(@Query('request') request: string): Observable<MessageEvent> {
    return toSse(() => this.connectly.invoke(JSON.parse(request)));
  }
}

async function withApp<T>(
  client: Record<string, unknown>,
  run: (url: string, app: INestApplication) => Promise<T>,
): Promise<T> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConnectlyModule.forRoot({ apiKey: KEY, businessId: 'biz', baseUrl: mock.url, retryBaseDelayMs: 20, ...client }),
    ],
    controllers: [TurnController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: capturing });
  await app.listen(0, '127.0.0.1');
  try {
    return await run((await app.getUrl()).replace('[::1]', '127.0.0.1'), app);
  } finally {
    await app.close();
  }
}

async function sse(url: string, request: unknown): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const text = await (await fetch(`${url}/turn?request=${encodeURIComponent(JSON.stringify(request))}`)).text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('event:'))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? '',
      data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as Record<string, unknown>,
    }));
}

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY });
  await mock.start();
});
beforeEach(() => mock.reset());
afterAll(async () => {
  await mock.stop();
  expect(logged.join('\n')).not.toContain(KEY);
});

describe('fault matrix: ConnectlyService behind SSE', () => {
  it.each(FAULT_MATRIX.map((row) => [row.name, row] as const))(
    '%s',
    async (_, row) => {
      await withApp({ ...row.client, baseUrl: await baseUrlFor(row.target ?? 'mock', mock.url) }, async (url, app) => {
        // With an unreachable target the session cannot start either: any ID does for the turn.
        const sessionId = await app
          .get(ConnectlyService)
          .session({ clientKey: 'customer-1' })
          .start()
          .catch(() => 'no-session');
        if (row.fault) mock.inject({ ...row.fault });
        const events = await sse(url, { clientKey: 'customer-1', sessionId, text: 'hi' });
        const agentEvents = events.filter((e) => !e.event.startsWith('connectly.'));
        expect(agentEvents).toHaveLength(row.delivered);
        const last = events.at(-1);
        if (row.error) {
          expect(last?.event).toBe('connectly.error');
          expect(last?.data).toMatchObject({
            name: row.error.name,
            ...(row.error.status ? { status: row.error.status } : {}),
            ...(row.error.code ? { code: row.error.code } : {}),
          });
          expect(String(last?.data['message'])).toMatch(row.error.browser ?? row.error.message);
        } else {
          expect(last?.event).toBe('connectly.done');
        }
        expect(JSON.stringify(events)).not.toContain(KEY);
        // Where the server reaches Connectly is not the browser's business.
        expect(JSON.stringify(events)).not.toMatch(/127\.0\.0\.1|connectly-mock\.invalid/);
      });
    },
    20_000,
  );

  it.each(BAD_INPUT.map((row) => [row.name, row] as const))(
    'bad input: %s becomes a connectly.error event, nothing sent',
    async (_, row) => {
      await withApp({}, async (url) => {
        const events = await sse(url, row.request);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ event: 'connectly.error', data: { name: 'ConnectlyValidationError' } });
        expect(String(events[0]?.data['message'])).toMatch(row.message);
      });
      expect(mock.requests).toHaveLength(0);
    },
  );

  it('bad input: a base URL that is not a URL fails the bootstrap, naming the option', async () => {
    await expect(withApp({ baseUrl: 'localhost:8080' }, async () => undefined)).rejects.toThrow(
      /ConnectlyModule options are invalid: `baseUrl` must start with http/,
    );
  });
});

describe('cancellation by a client that leaves', () => {
  async function leaveAfter(ms: number, fault: Record<string, unknown>): Promise<ConnectlyService> {
    return withApp({}, async (url, app) => {
      const service = app.get(ConnectlyService);
      const sessionId = await service.session({ clientKey: 'customer-1' }).start();
      mock.inject(fault);
      const controller = new AbortController();
      const request = encodeURIComponent(JSON.stringify({ clientKey: 'customer-1', sessionId, text: 'hi' }));
      const response = fetch(`${url}/turn?request=${request}`, { signal: controller.signal }).then((r) => r.text());
      await new Promise((resolve) => setTimeout(resolve, ms));
      controller.abort();
      await response.catch(() => undefined);
      // The service lets go of the stream as soon as Nest unsubscribes.
      for (let waited = 0; (service as unknown as { open: number }).open > 0 && waited < 5000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((service as unknown as { open: number }).open).toBe(0);
      return service;
    });
  }

  it('before the response arrives: the upstream request is aborted', async () => {
    await leaveAfter(200, { stall: 'headers' });
    await mock.waitForAbandoned(1);
  }, 15_000);

  it('during a retry back-off: no further attempt is made', async () => {
    await leaveAfter(200, { status: 429, retryAfter: 1 });
    // Past the moment the retry was due: still the one attempt.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(1);
  }, 15_000);
});
