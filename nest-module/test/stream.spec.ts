// ConnectlyService's pull interfaces: stream() and a session's stream(), over HTTP to the mock.
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { ConnectlyModule, ConnectlyService } from '../src/index.js';

const KEY = 'nest-stream-key';

let mock: MockConnectlyServer;
beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY });
  await mock.start();
});
afterAll(() => mock.stop());

it('ConnectlyService.stream() and session().stream() iterate a turn', async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [ConnectlyModule.forRoot({ apiKey: KEY, businessId: 'biz', baseUrl: mock.url })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  try {
    const service = app.get(ConnectlyService);
    const session = service.session({ clientKey: 'customer-2' });
    const types: string[] = [];
    for await (const event of session.stream('gift ideas')) types.push(event.type);
    expect(types).toContain('recommendationEvent');
    const sessionId = await session.start();
    const again: string[] = [];
    for await (const event of service.stream({ clientKey: 'customer-2', sessionId, text: 'show me the menu' }))
      again.push(event.type);
    expect(again).toContain('connectlyInteractiveEvent');
  } finally {
    await app.close();
  }
});
