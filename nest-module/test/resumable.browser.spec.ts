// Resumable replies in a real browser: Chromium's EventSource reads a reply through a proxy in front of
// two Nest replicas sharing one Redis. The proxy drops the connection mid-reply and sends the next one to
// the other replica, or the replica serving the stream shuts down: the browser reconnects by itself and the
// page ends with the whole reply, each event once.
import { type Server, type Socket, connect, createServer } from 'node:net';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/support/chromium.js';
import { type RunningRedis, startRedis } from '../../packages/session-redis/test/redis-server.cjs';
import { KEY, type Replica, startReplica } from './resumable-app.js';

/** A TCP proxy on 127.0.0.1 that sends each new connection to `target`, and can cut the open ones. */
class Proxy {
  target = 0;
  private readonly open = new Set<Socket>();
  private readonly server: Server = createServer((client) => {
    const upstream = connect(this.target, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.open.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.open.delete(from);
        to.destroy();
      });
    }
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  cut(): void {
    for (const socket of this.open) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let mock: MockConnectlyServer;
let redis: RunningRedis;
let replicas: Replica[];
let proxy: Proxy;
let url: string;
let browser: Browser;

function startBrowserReplica(): Promise<Replica> {
  return startReplica({ baseUrl: mock.url, redisUrl: redis.url, prefix: 'browser:' });
}

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY });
  [redis] = await Promise.all([startRedis(), mock.start()]);
  replicas = await Promise.all([0, 1].map(startBrowserReplica));
  proxy = new Proxy();
  url = await proxy.listen();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await Promise.all((replicas ?? []).map((replica) => replica.app.close()));
  await mock?.stop();
  await redis?.stop();
});

function port(replica: Replica): number {
  return Number(new URL(replica.base).port);
}

const words = ['Our', 'festive', 'picks', 'are', 'ready', 'now'];

/** The mock's next reply: `words`, pausing a second after the second one. */
function injectWords(): void {
  mock.reset();
  mock.inject({
    events: words.map((text) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } })),
    stall: 'body',
    afterEvents: 2,
    stallMs: 1000,
  });
}

/** The page ends as an uninterrupted run would: every word once, ids 1 to 7 in order, after a reconnect; one invoke. */
async function expectWholeReply(page: Page): Promise<void> {
  await page.waitForSelector('body[data-end]', { timeout: 30_000 });
  expect(await page.evaluate(() => document.body.dataset['end'])).toBe('connectly.done');
  expect(await page.evaluate(() => (window as unknown as { ids: string[] }).ids)).toEqual([
    '1',
    '2',
    '3',
    '4',
    '5',
    '6',
    '7',
  ]);
  expect(await page.evaluate(() => (window as unknown as { opens: number }).opens)).toBeGreaterThanOrEqual(2);
  expect((await page.textContent('#out'))?.trim()).toBe(words.join(' '));
  expect(mock.requests.filter((request) => request.endpoint === 'invoke')).toHaveLength(1);
}

/** A page that asks through the proxy, which sends it to `replica`, once it has received `events` events. */
async function askThrough(replica: Replica, events: number): Promise<Page> {
  proxy.target = port(replica);
  const page = await browser.newPage();
  await page.goto(url);
  await page.evaluate(() => (window as unknown as { ask(text: string): Promise<void> }).ask('a festive gift'));
  await page.waitForFunction((count) => (window as unknown as { ids: string[] }).ids.length >= count, events);
  return page;
}

it('the proxy drops the stream mid-reply: EventSource resumes on the other replica, the text is whole, one invoke', async () => {
  const [a, b] = replicas as [Replica, Replica];
  injectWords();
  const page = await askThrough(a, 2);
  proxy.target = port(b);
  proxy.cut();
  await expectWholeReply(page);
  await page.close();
}, 60_000);

it('the replica running the turn shuts down: the page reconnects to the other one and shows the interruption', async () => {
  const [a, b] = replicas as [Replica, Replica];
  mock.reset();
  mock.inject({
    events: ['first', 'never sent'].map((text) => ({
      messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } },
    })),
    stall: 'body',
    afterEvents: 1,
  });
  const page = await askThrough(a, 1);
  proxy.target = port(b);
  await a.app.close();
  replicas = [b];
  await page.waitForSelector('body[data-end]', { timeout: 30_000 });
  expect(await page.evaluate(() => document.body.dataset['end'])).toBe('connectly.error');
  expect(await page.evaluate(() => (window as unknown as { ids: string[] }).ids)).toEqual(['1', '2']);
  expect((await page.textContent('#out'))?.trim()).toBe('first');
  expect(mock.requests.filter((request) => request.endpoint === 'invoke')).toHaveLength(1);
  await page.close();
}, 60_000);

it('the replica serving the stream shuts down while the other runs the turn: the page resumes, the text is whole, one invoke', async () => {
  // Two live replicas whatever ran before: A runs the turn, a fresh B serves the stream until it shuts down.
  replicas.push(await startBrowserReplica());
  const [a, b] = replicas.slice(-2) as [Replica, Replica];
  injectWords();
  const started = await fetch(`${a.base}/turns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientKey: 'browser', text: 'a festive gift' }),
  });
  const { turnId } = (await started.json()) as { turnId: string };
  proxy.target = port(b);
  const page = await browser.newPage();
  await page.goto(url);
  await page.evaluate((id) => (window as unknown as { follow(turnId: string): void }).follow(id), turnId);
  await page.waitForFunction(() => (window as unknown as { ids: string[] }).ids.length >= 2);
  proxy.target = port(a);
  await b.app.close();
  replicas = replicas.filter((replica) => replica !== b);
  await expectWholeReply(page);
  await page.close();
}, 60_000);
