// Two instances of the chat example sharing one Redis (REDIS_URL) take turns of one customer's
// conversation: one continuous session, one init; stopping one mid-turn leaves the other to carry on.
import { MockConnectlyServer, echoReply } from 'connectly-agent-graph-mock';
import { type RunningRedis, startRedis } from '../../../packages/session-redis/test/redis-server.cjs';
import { type AppProcess, startApp } from './app-process.js';

jest.setTimeout(60_000);

let mock: MockConnectlyServer;
let redis: RunningRedis;
let first: AppProcess;
let second: AppProcess;

beforeAll(async () => {
  mock = new MockConnectlyServer({ agent: echoReply });
  [redis] = await Promise.all([startRedis(), mock.start()]);
  const env = {
    CONNECTLY_API_KEY: 'example-key',
    CONNECTLY_BUSINESS_ID: 'biz',
    CONNECTLY_BASE_URL: mock.url,
    REDIS_URL: redis.url,
  };
  [first, second] = await Promise.all([startApp(env), startApp(env)]);
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  await mock.stop();
  await redis.stop();
});

interface SseEvent {
  type: string;
  data: { sessionId?: string; messageEvent?: { content?: { textContent?: { text?: string } } } };
}

/** One turn through an instance's SSE route, read to its end. */
async function turn(app: AppProcess, text: string): Promise<SseEvent[]> {
  const query = new URLSearchParams({ clientKey: 'dana', text });
  const response = await fetch(`${app.url}/api/chat?${query}`);
  const body = await response.text();
  return body
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => ({
      type: /^event: (.*)$/m.exec(block)?.[1] ?? 'message',
      data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as SseEvent['data'],
    }));
}

function said(events: SseEvent[]): string[] {
  return events.flatMap((event) => event.data.messageEvent?.content?.textContent?.text ?? []);
}

it('alternates one conversation between two instances, then one stops mid-turn and the other carries on', async () => {
  const started = await fetch(`${first.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientKey: 'dana' }),
  });
  const { sessionId } = (await started.json()) as { sessionId: string };
  const apps = [second, first, second, first];
  for (const [index, app] of apps.entries()) {
    const events = await turn(app, `turn ${index + 1}`);
    expect(said(events)).toEqual([`heard: turn ${index + 1}`]);
    expect(events.filter((event) => event.type === 'messageEvent').map((event) => event.data.sessionId)).toEqual([
      sessionId,
    ]);
  }

  mock.inject({ endpoint: 'invoke', stall: 'headers' });
  const invoked = new Promise<void>((resolve) =>
    mock.on('request', (request: { endpoint: string }) => request.endpoint === 'invoke' && resolve()),
  );
  const cut = turn(first, 'cut off').catch(() => []);
  await invoked;
  await first.stop();
  await cut;

  const events = await turn(second, 'are you still there?');
  expect(said(events)).toEqual(['heard: are you still there?']);
  expect(events[0]?.data.sessionId).toBe(sessionId);
  expect(mock.requests.filter((request) => request.endpoint === 'init')).toHaveLength(1);
  expect(mock.overlaps).toBe(0);
});
