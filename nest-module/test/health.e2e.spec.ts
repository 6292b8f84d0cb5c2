// The terminus health indicator in a real Nest app: up when Connectly is healthy, down otherwise.
import 'reflect-metadata';
import { Controller, Get, type INestApplication, Query } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { ConnectlyModule } from '../src/index.js';
import { ConnectlyHealthIndicator } from '../src/terminus/index.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly connectly: ConnectlyHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(@Query('timeoutMs') timeoutMs?: string) {
    // A generous limit by default, so a slow first connection on a busy machine is not read as down.
    const limit = timeoutMs === undefined ? 30_000 : Number(timeoutMs);
    return this.health.check([() => this.connectly.isHealthy('connectly', { timeoutMs: limit })]);
  }
}

let mock: MockConnectlyServer;
let app: INestApplication;
let url: string;

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: 'health-key' });
  await mock.start();
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      ConnectlyModule.forRoot({ apiKey: 'health-key', businessId: 'biz', baseUrl: mock.url, maxRetries: 0 }),
    ],
    controllers: [HealthController],
    providers: [ConnectlyHealthIndicator],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/health`;
});
afterAll(async () => {
  await app.close();
  await mock.stop();
});

describe('ConnectlyHealthIndicator', () => {
  it('reports up (200) when Connectly answers healthy', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', info: { connectly: { status: 'up' } } });
  });

  it('reports down (503) when Connectly answers unhealthy', async () => {
    mock.inject({ endpoint: 'health', unhealthy: true });
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'error', error: { connectly: { status: 'down' } } });
  });

  it('reports down (503) when Connectly does not answer within the timeout, and aborts the call', async () => {
    mock.inject({ endpoint: 'health', stall: 'headers' });
    const response = await fetch(`${url}?timeoutMs=300`);
    expect(response.status).toBe(503);
    await mock.waitForAbandoned(1);
  });

  it('reports down (503) when Connectly rejects the key', async () => {
    mock.inject({ endpoint: 'health', status: 401, code: 16, message: 'invalid API key' });
    const response = await fetch(url);
    expect(response.status).toBe(503);
  });
});
