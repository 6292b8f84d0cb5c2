// Two OS processes sharing one real Redis talk to one customer: one init, turns that never overlap,
// every message sent exactly once, transparent renewal, and a killed lock holder that only costs its lease.
import { echoReply, MockConnectlyServer, type RecordedRequest } from 'connectly-agent-graph-mock';
import { type CustomerLine, type CustomerProcess, buildCustomerProcess, startCustomer } from './customer-processes.cjs';
import { type RunningRedis, startRedis } from './redis-server.cjs';

jest.setTimeout(30_000);

let redis: RunningRedis;
let mock: MockConnectlyServer;
let build: { file: string; dispose(): void };
let test = 0;
const running: CustomerProcess[] = [];

beforeAll(async () => {
  [redis, build] = await Promise.all([startRedis(), buildCustomerProcess()]);
  mock = new MockConnectlyServer({ agent: echoReply });
  await mock.start();
});
afterAll(async () => {
  for (const process of running) process.kill();
  await Promise.all(running.map((process) => process.exited));
  await mock.stop();
  await redis.stop();
  build.dispose();
});
beforeEach(() => {
  test += 1;
  mock.reset();
});

async function customers(count: number, messages: (index: number) => string[], leaseMs?: number) {
  const started = Array.from({ length: count }, (_, index) =>
    startCustomer(build.file, {
      baseUrl: mock.url,
      redisUrl: redis.url,
      prefix: `two-processes-${test}:`,
      clientKey: 'alice',
      messages: messages(index),
      ...(leaseMs === undefined ? {} : { leaseMs }),
    }),
  );
  running.push(...started);
  await Promise.all(started.map((process) => process.until((lines) => lines.some((line) => line.type === 'ready'))));
  return started;
}

function answered(count: number) {
  return (lines: CustomerLine[]): boolean => lines.filter((line) => line.type !== 'ready').length >= count;
}

function requests(endpoint: string): RecordedRequest[] {
  return mock.requests.filter((request) => request.endpoint === endpoint);
}

function textsOf(request: RecordedRequest): string[] {
  const body = request.body as { inputEvents: Array<{ messageEvent: { content: { textContent: { text: string } } } }> };
  return body.inputEvents.map((event) => event.messageEvent.content.textContent.text);
}

function untilInvoke(): Promise<void> {
  return new Promise((resolve) => {
    const seen = (request: RecordedRequest): void => {
      if (request.endpoint !== 'invoke') return;
      mock.off('request', seen);
      resolve();
    };
    mock.on('request', seen);
  });
}

it('a burst of 20 turns for one customer from two processes: one init, no overlap, every message once', async () => {
  const messages = (index: number): string[] => Array.from({ length: 10 }, (_, i) => `p${index}-m${i}`);
  const [a, b] = (await customers(2, messages)) as [CustomerProcess, CustomerProcess];
  a.go();
  b.go();
  const [linesA, linesB] = await Promise.all([a.until(answered(10)), b.until(answered(10))]);
  const replies = [...linesA, ...linesB].filter((line) => line.type === 'reply');
  expect(replies).toHaveLength(20);
  expect(requests('init')).toHaveLength(1);
  expect(mock.overlaps).toBe(0);
  expect(new Set(replies.map((reply) => reply.sessionId)).size).toBe(1);
  const sent = requests('invoke').flatMap(textsOf);
  expect([...sent].sort()).toEqual([...messages(0), ...messages(1)].sort());
  // Each caller got the reply of the turn that carried its message, and each process's messages kept their order.
  for (const reply of replies) expect(reply.text.replace(/^heard: /, '').split(' | ')).toContain(reply.message);
  for (const prefix of ['p0-', 'p1-']) {
    const own = sent.filter((text) => text.startsWith(prefix));
    expect(own).toEqual([...own].sort((x, y) => Number(x.split('-m')[1]) - Number(y.split('-m')[1])));
  }
});

it('renews a session Connectly forgot, transparently, from the other process', async () => {
  const [a, b] = (await customers(2, (index) => [index === 0 ? 'before' : 'after'])) as [
    CustomerProcess,
    CustomerProcess,
  ];
  a.go();
  const [first] = (await a.until(answered(1))).filter((line) => line.type === 'reply');
  mock.forget();
  b.go();
  const [second] = (await b.until(answered(1))).filter((line) => line.type !== 'ready');
  expect(second).toMatchObject({ type: 'reply', text: 'heard: after' });
  expect(second && 'sessionId' in second && second.sessionId).not.toBe(
    first && 'sessionId' in first && first.sessionId,
  );
  expect(requests('init')).toHaveLength(2);
  expect(requests('invoke').map(textsOf)).toEqual([['before'], ['after'], ['after']]);
});

it('killing the process that holds the lock lets the other continue once the lease runs out', async () => {
  const [a, b] = (await customers(2, (index) => [index === 0 ? 'never answered' : 'after the crash'], 1_500)) as [
    CustomerProcess,
    CustomerProcess,
  ];
  mock.inject({ endpoint: 'invoke', stall: 'headers' });
  const invoked = untilInvoke();
  a.go();
  await invoked;
  b.go();
  // b waits for the lock while a holds it: nothing of b's reaches Connectly.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(requests('invoke')).toHaveLength(1);
  a.kill();
  await a.exited;
  const [reply] = (await b.until(answered(1))).filter((line) => line.type !== 'ready');
  expect(reply).toMatchObject({ type: 'reply', text: 'heard: after the crash' });
  expect(requests('init')).toHaveLength(1);
  expect(requests('invoke').map(textsOf)).toEqual([['never answered'], ['after the crash']]);
  expect(mock.overlaps).toBe(0);
});
