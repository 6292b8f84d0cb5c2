// The module's client logs through Nest's Logger (context "Connectly"), at the levels the app enables.
import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { ConnectlyModule, ConnectlyService } from '../src/index.js';

const KEY = 'nest-logging-key-5f5f';

let mock: MockConnectlyServer;
beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY });
  await mock.start();
});
afterAll(() => mock.stop());

function capture(): { logger: LoggerService; lines: string[] } {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (message: unknown, context?: unknown): void => {
      lines.push(`${level} [${String(context)}] ${String(message)}`);
    };
  return {
    lines,
    logger: { log: record('log'), error: record('error'), warn: record('warn'), debug: record('debug') },
  };
}

it('logs each call at debug and failures at warn through Nest, without the key', async () => {
  const { logger, lines } = capture();
  const moduleRef = await Test.createTestingModule({
    imports: [ConnectlyModule.forRoot({ apiKey: KEY, businessId: 'biz', baseUrl: mock.url })],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.init();
  try {
    const service = app.get(ConnectlyService);
    await service.session({ clientKey: 'customer-1' }).reply('Hi');
    await service.reply({ clientKey: 'customer-1', sessionId: 'unknown', text: 'Hi' }).catch(() => undefined);
  } finally {
    await app.close();
  }
  const connectly = lines.filter((line) => line.includes('[Connectly]'));
  expect(connectly).toContainEqual(expect.stringMatching(/^debug \[Connectly\] connectly init: request \{/));
  expect(connectly).toContainEqual(
    expect.stringMatching(/^debug \[Connectly\] connectly invoke: done \{"endpoint":"invoke"/),
  );
  expect(connectly).toContainEqual(
    expect.stringMatching(/^warn \[Connectly\] connectly invoke: Connectly invoke failed \(HTTP 404/),
  );
  expect(lines.join('\n')).not.toContain(KEY);
});
