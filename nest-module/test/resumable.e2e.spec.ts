// Resumable replies over real HTTP: two Nest apps (replicas) sharing one Redis and one mock Connectly
// server. A turn started on one replica is read, cut off, and resumed on the other from `Last-Event-ID`.
import 'reflect-metadata';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { RedisTurnLogStore } from 'connectly-session-redis';
import { CONNECTLY_TURN_LOG, type ResolvedTurnLog, TURN_INTERRUPTED } from '../src/index.js';
import { type RunningRedis, startRedis } from '../../packages/session-redis/test/redis-server.cjs';
import { KEY, type Replica, startReplica, warnings } from './resumable-app.js';

let mock: MockConnectlyServer;
let redis: RunningRedis;
let replicas: Replica[] = [];
let run = 0;

async function replica(prefix: string, leaseMs: number): Promise<Replica> {
  const started = await startReplica({ baseUrl: mock.url, redisUrl: redis.url, prefix, leaseMs });
  replicas.push(started);
  return started;
}

/** Two replicas sharing one Redis (a fresh key prefix per test). */
async function twoReplicas(leaseMs = 1500): Promise<[Replica, Replica]> {
  run += 1;
  return Promise.all([replica(`resume${run}:`, leaseMs), replica(`resume${run}:`, leaseMs)]);
}

async function startTurn(on: Replica, text: string, clientKey = `customer-${run}`): Promise<string> {
  const response = await fetch(`${on.base}/turns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientKey, text }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { turnId: string }).turnId;
}

interface SseEvent {
  event?: string;
  id?: string;
  data?: string;
}

/** The complete event blocks of an SSE body (a cut-off last block is left out), as sent. */
function blocks(text: string): string[] {
  const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
  // Nest opens every SSE response with a blank line.
  return complete
    .split('\n\n')
    .map((block) => block.replace(/^\n+/, ''))
    .filter((block) => block !== '');
}

function parse(block: string): SseEvent {
  const event: SseEvent = {};
  for (const line of block.split('\n')) {
    const match = /^(event|id|data): ?(.*)$/.exec(line);
    if (match) event[match[1] as keyof SseEvent] = match[2];
  }
  return event;
}

function events(on: Replica, turnId: string, lastEventId?: string, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
  return fetch(`${on.base}/turns/${turnId}/events`, { headers, signal: signal ?? null });
}

/** Reads until an event with id `id` has arrived, then cuts the connection; resolves with what arrived. */
async function readUntilId(on: Replica, turnId: string, id: string): Promise<string> {
  const abort = new AbortController();
  const response = await events(on, turnId, undefined, abort.signal);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!blocks(text).some((block) => parse(block).id === id)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before event ${id}: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  abort.abort();
  await reader.cancel().catch(() => undefined);
  return text;
}

/** The body read until the server ends it or drops the connection. */
async function readAll(response: Response): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return text; // dropped: what arrived before the drop stands
  }
}

function invokes(): number {
  return mock.requests.filter((request) => request.endpoint === 'invoke').length;
}

function message(text: string): Record<string, unknown> {
  return { messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } };
}

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY });
  [redis] = await Promise.all([startRedis(), mock.start()]);
});
beforeEach(() => mock.reset());
afterEach(async () => {
  await Promise.all(replicas.map((r) => r.app.close()));
  replicas = [];
});
afterAll(async () => {
  await mock.stop();
  await redis.stop();
});

describe('resumable replies across replicas', () => {
  it('a stream cut mid-reply resumes on the other replica: the same bytes, each event once, one invoke', async () => {
    const [a, b] = await twoReplicas();
    const words = ['Our', 'festive', 'picks', 'are', 'ready', 'now'];
    // The agent pauses after two events: the client is cut off in the middle of the reply.
    mock.inject({ events: words.map(message), stall: 'body', afterEvents: 2, stallMs: 500 });
    const turnId = await startTurn(a, 'a festive gift');
    const cut = blocks(await readUntilId(a, turnId, '2'));
    expect(cut.map((block) => parse(block).id)).toEqual(['1', '2']);

    const resumed = blocks(await (await events(b, turnId, '2')).text());
    const uninterrupted = blocks(await (await events(a, turnId)).text());
    expect([...cut, ...resumed]).toEqual(uninterrupted);
    expect(uninterrupted.map((block) => parse(block).id)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(uninterrupted.map((block) => parse(block).event).at(-1)).toBe('connectly.done');
    const text = uninterrupted
      .slice(0, -1)
      .map(
        (block) => JSON.parse(parse(block).data!) as { messageEvent: { content: { textContent: { text: string } } } },
      )
      .map((event) => event.messageEvent.content.textContent.text);
    expect(text).toEqual(words);
    expect(invokes()).toBe(1);
  });

  it('a resume after the end gets the rest and done; a resume at the end gets nothing more', async () => {
    const [a, b] = await twoReplicas();
    const turnId = await startTurn(a, 'a festive gift');
    const all = blocks(await (await events(a, turnId)).text());
    const last = parse(all.at(-1)!);
    expect(last.event).toBe('connectly.done');
    expect(blocks(await (await events(b, turnId, '1')).text())).toEqual(all.slice(1));
    expect(blocks(await (await events(b, turnId, last.id)).text())).toEqual([]);
    expect(invokes()).toBe(1);
  });

  it('the replica running the turn shuts down: the reader on the other one gets connectly.error "interrupted"', async () => {
    const [a, b] = await twoReplicas();
    mock.inject({ events: [message('first'), message('never sent')], stall: 'body', afterEvents: 1 });
    const turnId = await startTurn(a, 'a festive gift');
    const response = await events(b, turnId);
    const reading = response.text();
    await readUntilId(b, turnId, '1');
    await a.app.close();
    const got = blocks(await reading).map(parse);
    expect(got.map((event) => event.event)).toEqual(['messageEvent', 'connectly.error']);
    expect(JSON.parse(got[1]!.data!)).toEqual(TURN_INTERRUPTED);
    expect(invokes()).toBe(1);
  });

  it("the replica running the turn dies (cut off from Redis): the watchdog ends the reader's stream as interrupted", async () => {
    const [a, b] = await twoReplicas();
    mock.inject({ events: [message('first'), message('never sent')], stall: 'body', afterEvents: 1 });
    const turnId = await startTurn(a, 'a festive gift');
    await readUntilId(b, turnId, '1');
    // Its heartbeats and writes stop, as when the process dies; it never writes an end.
    const { turnLog } = a.app.get<ResolvedTurnLog>(CONNECTLY_TURN_LOG);
    (turnLog!.store as RedisTurnLogStore).client.disconnect();
    const got = blocks(await (await events(b, turnId)).text()).map(parse);
    expect(got.map((event) => event.event)).toEqual(['messageEvent', 'connectly.error']);
    expect(JSON.parse(got[1]!.data!)).toEqual(TURN_INTERRUPTED);
    expect(invokes()).toBe(1);
  });

  it('a stop sent to the other replica ends the turn as stopped and cancels the agent call', async () => {
    const [a, b] = await twoReplicas();
    mock.inject({ events: [message('first'), message('never sent')], stall: 'body', afterEvents: 1 });
    const turnId = await startTurn(a, 'a festive gift');
    const reading = (await events(a, turnId)).text();
    await readUntilId(a, turnId, '1');
    const stop = await fetch(`${b.base}/turns/${turnId}/stop`, { method: 'POST' });
    expect(await stop.json()).toEqual({ stopped: true });
    const got = blocks(await reading).map(parse);
    expect(got.map((event) => [event.event, event.id])).toEqual([
      ['messageEvent', '1'],
      ['connectly.done', '2'],
    ]);
    expect(JSON.parse(got[1]!.data!)).toEqual({ stopped: true });
    expect(mock.abandoned).toBe(1);
    expect(invokes()).toBe(1);
    const again = await fetch(`${b.base}/turns/${turnId}/stop`, { method: 'POST' });
    expect(await again.json()).toEqual({ stopped: false });
  });

  it('a disconnect alone never ends the turn', async () => {
    const [a] = await twoReplicas();
    mock.inject({ events: ['one', 'two', 'three'].map(message), stall: 'body', afterEvents: 1, stallMs: 300 });
    const turnId = await startTurn(a, 'a festive gift');
    await readUntilId(a, turnId, '1');
    const got = blocks(await (await events(a, turnId)).text()).map(parse);
    expect(got.map((event) => event.event)).toEqual(['messageEvent', 'messageEvent', 'messageEvent', 'connectly.done']);
    expect(mock.abandoned).toBe(0);
  });

  it('an unknown (or expired) turn, or a Last-Event-ID that is not an id, gets a clear connectly.error', async () => {
    const [a] = await twoReplicas();
    const got = blocks(await (await events(a, 'no-such-turn')).text()).map(parse);
    expect(got).toHaveLength(1);
    expect(got[0]!.event).toBe('connectly.error');
    expect(JSON.parse(got[0]!.data!)).toMatchObject({
      name: 'ConnectlyTurnLogError',
      message: expect.stringContaining('no longer kept'),
    });
    const turnId = await startTurn(a, 'a festive gift');
    const bad = blocks(await (await events(a, turnId, 'not-an-id')).text()).map(parse);
    expect(bad.map((event) => event.event)).toEqual(['connectly.error']);
    expect(JSON.parse(bad[0]!.data!)).toMatchObject({ name: 'ConnectlyValidationError' });
  });

  it('a slow reader is dropped at the buffer cap and resumes from its last id until done, missing nothing', async () => {
    // 19 MB through Redis keeps the event loop busy: a longer lease, so no heartbeat arrives too late.
    const [a, b] = await twoReplicas(10_000);
    // Far more than the socket buffers (several MB on loopback) and the cap hold: 600 events of 32 kB.
    const many = Array.from({ length: 600 }, (_, i) => message(`${i}:${'x'.repeat(32_000)}`));
    mock.inject({ events: many });
    const turnId = await startTurn(a, 'a festive gift');
    const slow = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest(`${a.base}/turns/${turnId}/events`, resolve).on('error', reject).end(),
    );
    slow.pause();
    for (let i = 0; !warnings.seen.some((w) => w.includes('not reading its events')); i += 1) {
      if (i > 1000) throw new Error('the slow reader was never dropped');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    let text = '';
    slow.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      slow.on('data', (chunk: string) => (text += chunk));
      slow.on('error', () => resolve());
      slow.on('close', resolve);
      slow.resume();
    });
    const received = blocks(text);
    expect(received.length).toBeLessThan(601);
    // It resumes, as an EventSource does, from the last id it got, as often as it is dropped.
    for (let resumes = 0; !parse(received.at(-1)!).event!.startsWith('connectly.'); resumes += 1) {
      if (resumes > 500) throw new Error('the reader never got to the end');
      received.push(...blocks(await readAll(await events(resumes % 2 ? a : b, turnId, parse(received.at(-1)!).id))));
    }
    expect(received.map((block) => parse(block).id)).toEqual(Array.from({ length: 601 }, (_, i) => String(i + 1)));
    expect(parse(received.at(-1)!).event).toBe('connectly.done');
    expect(invokes()).toBe(1);
  }, 60_000);
});
