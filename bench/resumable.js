// Resumable replies (nestjs-connectly `resumable`): what a resume costs, and what a turn log holds.
//   node bench/resumable.js [--quick]          the measurements; prints its figures as one JSON line
//   node bench/resumable.js app <mock url> <redis url>   one Nest replica (its own process), used by the above
// Two replicas (processes) share one private redis-server on a free loopback port; the mock Connectly
// server runs in the bench process. Everything it starts it stops; every wait is bounded.
'use strict';

const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const { percentile } = require('./lib/stats');
const { decorator, param } = require('./lib/nest');

const ROOT = path.join(__dirname, '..');
const KEY = 'bench-resumable-key';
const BIG = 'a long reply';
// The route's cap on events waiting for a client that does not read (RESUMABLE_MAX_PENDING_DATA_LENGTH).
const CAP = 256 * 1024;

function app(mockUrl, redisUrl) {
  require('reflect-metadata');
  const { Body, Controller, Get, Headers, HttpCode, Module, Param, Post, Query, Sse } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { RedisSessionStore, RedisTurnLogStore } = require(path.join(ROOT, 'packages/session-redis/dist'));
  const { ConnectlyModule, ConnectlyService, ConnectlyTurns, toSse } = require(path.join(ROOT, 'nest-module/dist'));

  let dropped = 0;
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
  };
  const sampler = setInterval(sample, 5);

  class TurnsController {
    constructor(connectly, turns) {
      this.connectly = connectly;
      this.turns = turns;
    }
    plain(clientKey, text) {
      return toSse(() => this.connectly.session({ clientKey }).send(text));
    }
    start(body) {
      return this.turns.start(() => this.connectly.session({ clientKey: body.clientKey }).send(body.text));
    }
    events(turnId, header, query) {
      return this.turns.sse(turnId, header ?? query);
    }
    async stop(turnId) {
      return { stopped: await this.turns.stop(turnId) };
    }
    memory(gc) {
      if (gc === '1') global.gc?.();
      sample();
      const now = process.memoryUsage();
      const out = { rss: now.rss, heapUsed: now.heapUsed, peakRss, peakHeap, dropped };
      peakRss = now.rss;
      peakHeap = now.heapUsed;
      return out;
    }
  }
  const decorate = decorator(TurnsController);
  decorate('plain', Sse('plain'), param(Query('clientKey'), 0), param(Query('text'), 1));
  decorate('start', Post('turns'), param(Body(), 0));
  decorate(
    'events',
    Sse('turns/:turnId/events', { maxPendingDataLength: CAP }),
    param(Param('turnId'), 0),
    param(Headers('last-event-id'), 1),
    param(Query('lastEventId'), 2),
  );
  decorate('stop', Post('turns/:turnId/stop'), HttpCode(200), param(Param('turnId'), 0));
  decorate('memory', Get('memory'), param(Query('gc'), 0));
  Reflect.decorate([Controller()], TurnsController);
  Reflect.defineMetadata('design:paramtypes', [ConnectlyService, ConnectlyTurns], TurnsController);

  class AppModule {}
  Module({
    imports: [
      ConnectlyModule.forRoot({
        apiKey: KEY,
        businessId: 'bench',
        baseUrl: mockUrl,
        maxRetries: 0,
        sessionStore: () => new RedisSessionStore({ url: redisUrl, prefix: 'bench:' }),
        // A long lease: megabytes through Redis keep the event loop busy on a loaded machine.
        resumable: { store: () => new RedisTurnLogStore({ url: redisUrl, prefix: 'bench:' }), leaseMs: 10_000 },
      }),
    ],
    controllers: [TurnsController],
  })(AppModule);

  const logger = {
    log() {},
    error() {},
    warn(message) {
      if (String(message).includes('not reading its events')) dropped += 1;
    },
  };
  NestFactory.create(AppModule, { logger }).then(async (nest) => {
    await nest.listen(0, '127.0.0.1');
    process.stdout.write(`${JSON.stringify({ url: (await nest.getUrl()).replace('[::1]', '127.0.0.1') })}\n`);
    process.on('SIGTERM', () => {
      clearInterval(sampler);
      nest.close().then(() => process.exit(0));
    });
  });
}

/** One replica in its own process; resolves with its URL and a stop(). */
function startReplica(mockUrl, redisUrl) {
  const proc = spawn(process.execPath, ['--expose-gc', __filename, 'app', mockUrl, redisUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error('a replica did not start within 20 s'));
    }, 20_000);
    proc.once('exit', (code) => reject(new Error(`a replica exited with ${code}`)));
    proc.stdout.on('data', (data) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(String(data));
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        stop: () => {
          if (proc.exitCode !== null) return Promise.resolve();
          const exited = once(proc, 'exit');
          proc.kill('SIGTERM');
          const force = setTimeout(() => proc.kill('SIGKILL'), 10_000);
          return exited.finally(() => clearTimeout(force));
        },
      });
    });
  });
}

const keepAlive = new http.Agent({ keepAlive: true });

/** A request; resolves with the response (body unread). `agent: false` opens a fresh connection, as a reconnect does. */
function request(url, { method = 'GET', headers = {}, body, agent = keepAlive } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, resolve);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} took over 30 s`)));
    req.once('error', reject);
    req.end(body);
  });
}

async function json(url, options) {
  const response = await request(url, options);
  let text = '';
  for await (const chunk of response) text += chunk;
  if (response.statusCode >= 300) throw new Error(`${url} answered ${response.statusCode}: ${text}`);
  return JSON.parse(text);
}

const startTurn = (replica, clientKey, text) =>
  json(`${replica.url}/turns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientKey, text }),
  }).then((answer) => answer.turnId);

/**
 * Reads an SSE response until its first event block whose id is not a comment; `whole` reads to the end.
 * Resolves with the ms from `since` to that event, and the last event's type.
 */
async function firstEvent(response, since, { whole = false } = {}) {
  let text = '';
  let firstMs;
  let last;
  for await (const chunk of response) {
    text += chunk;
    let end;
    while ((end = text.indexOf('\n\n')) !== -1) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      if (type === undefined) continue;
      firstMs ??= performance.now() - since;
      last = type;
    }
    if (firstMs !== undefined && !whole) {
      response.destroy();
      break;
    }
  }
  return { firstMs, last };
}

/** Reads a turn to its closing event; throws unless it is connectly.done. */
async function readToEnd(replica, turnId) {
  const { last } = await firstEvent(await request(`${replica.url}/turns/${turnId}/events`), performance.now(), {
    whole: true,
  });
  if (last !== 'connectly.done') throw new Error(`turn ${turnId} ended with ${last}`);
}

const memory = (replica, gc = false) => json(`${replica.url}/memory${gc ? '?gc=1' : ''}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once event `id` of the turn is logged (bounded: about 5 s). */
async function logged(replica, turnId, id) {
  for (let i = 0; i < 500; i += 1) {
    const response = await request(`${replica.url}/turns/${turnId}/events`, {
      headers: { 'last-event-id': String(id - 1) },
    });
    if ((await firstEvent(response, performance.now())).firstMs !== undefined) return;
    await sleep(10);
  }
  throw new Error(`event ${id} of turn ${turnId} was never logged`);
}

/** K fresh connections reading the turn, paused at once: clients that stop reading. */
async function pausedReaders(replica, turnId, k) {
  const readers = await Promise.all(
    Array.from({ length: k }, () => request(`${replica.url}/turns/${turnId}/events`, { agent: false })),
  );
  for (const reader of readers) {
    reader.pause();
    reader.on('error', () => undefined);
  }
  return readers;
}

/** Resume latency: a fresh connection to the other replica with Last-Event-ID: 1 → the first replayed event. */
async function resumes(a, b, mock, n) {
  const sample = async (turnId) => {
    const out = [];
    for (let i = 0; i < n; i += 1) {
      const started = performance.now();
      const response = await request(`${b.url}/turns/${turnId}/events`, {
        headers: { 'last-event-id': '1' },
        agent: false,
      });
      out.push((await firstEvent(response, started)).firstMs);
    }
    return out;
  };
  // A live turn: the agent pauses after 3 events while the resumes run, then the turn is stopped.
  const words = ['Our', 'festive', 'picks', 'are', 'ready', 'now'];
  const message = (text) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } });
  mock.inject({ events: words.map(message), stall: 'body', afterEvents: 3, stallMs: 120_000 });
  const live = await startTurn(a, 'resume-live', 'a festive gift');
  // Wait until the third event is logged: a resume after id 1 then always has events to replay.
  await logged(b, live, 3);
  const liveMs = await sample(live);
  await json(`${a.url}/turns/${live}/stop`, { method: 'POST' });
  mock.reset();
  // A finished turn, within its retention.
  const done = await startTurn(a, 'resume-done', 'I want a festive gift');
  await readToEnd(a, done);
  const doneMs = await sample(done);
  return { live: liveMs, finished: doneMs };
}

/** First event on screen: plain toSse route vs POST /turns + GET its events, interleaved, keep-alive. */
async function firstOnScreen(a, n) {
  const plain = [];
  const resumable = [];
  for (let i = 0; i < n; i += 1) {
    for (const kind of i % 2 ? ['plain', 'resumable'] : ['resumable', 'plain']) {
      const started = performance.now();
      const clientKey = `screen-${kind}-${i}`;
      if (kind === 'plain') {
        const response = await request(`${a.url}/plain?clientKey=${clientKey}&text=I%20want%20a%20festive%20gift`);
        plain.push((await firstEvent(response, started, { whole: true })).firstMs);
      } else {
        const turnId = await startTurn(a, clientKey, 'I want a festive gift');
        const response = await request(`${a.url}/turns/${turnId}/events`);
        resumable.push((await firstEvent(response, started, { whole: true })).firstMs);
      }
    }
  }
  return { plain, resumable };
}

/** K clients that stop reading a long finished reply: the replica's peak memory growth until each is dropped at the cap. */
async function slowClients(a, k) {
  const turnId = await startTurn(a, 'slow-reader', BIG);
  await readToEnd(a, turnId);
  await memory(a, true);
  const before = await memory(a, true);
  const readers = await pausedReaders(a, turnId, k);
  let after = before;
  for (let i = 0; i < 1500 && after.dropped - before.dropped < k; i += 1) {
    await sleep(20);
    after = await memory(a);
  }
  const peak = { rss: Math.max(after.peakRss, before.rss), heap: Math.max(after.peakHeap, before.heapUsed) };
  // What each got before it was dropped: mostly what the sockets' buffers held while it did not read.
  const received = await Promise.all(
    readers.map(
      (reader) =>
        new Promise((resolve) => {
          let bytes = 0;
          const timer = setTimeout(() => reader.destroy(), 30_000);
          reader.on('data', (chunk) => (bytes += chunk.length));
          reader.once('close', () => {
            clearTimeout(timer);
            resolve(bytes);
          });
          reader.resume();
        }),
    ),
  );
  return {
    readers: k,
    dropped: after.dropped - before.dropped,
    receivedPerReaderKB: received.reduce((sum, bytes) => sum + bytes, 0) / 1024 / k,
    rssPerReaderKB: (peak.rss - before.rss) / 1024 / k,
    heapPerReaderKB: (peak.heap - before.heapUsed) / 1024 / k,
  };
}

/**
 * K clients that stop reading a live reply the agent paused after `events` 32 kB events, enough to fill
 * their sockets' buffers and queue some, under the cap, in the replica: its memory after a full GC, held
 * for them, over its level before, ÷ K.
 */
async function parkedClients(a, b, mock, long, k, events) {
  mock.inject({ events: long.slice(0, events), stall: 'body', afterEvents: events, stallMs: 120_000 });
  const turnId = await startTurn(a, 'parked-readers', BIG);
  await logged(b, turnId, events);
  await memory(b, true);
  const before = await memory(b, true);
  const readers = await pausedReaders(b, turnId, k);
  // Let the replays fill the sockets and the queues, then settle.
  await sleep(2_000);
  await memory(b, true);
  const after = await memory(b, true);
  const received = await Promise.all(
    readers.map(
      (reader) =>
        new Promise((resolve) => {
          let bytes = 0;
          reader.on('data', (chunk) => (bytes += chunk.length));
          reader.resume();
          setTimeout(() => resolve(bytes), 1_000);
        }),
    ),
  );
  for (const reader of readers) reader.destroy();
  await json(`${a.url}/turns/${turnId}/stop`, { method: 'POST' });
  mock.reset();
  return {
    readers: k,
    replyKB: (events * 32_000) / 1024,
    dropped: after.dropped - before.dropped,
    receivedPerReaderKB: received.reduce((sum, bytes) => sum + bytes, 0) / 1024 / k,
    rssPerReaderKB: (after.rss - before.rss) / 1024 / k,
    heapPerReaderKB: (after.heapUsed - before.heapUsed) / 1024 / k,
  };
}

/** Redis used_memory growth over M finished turns, ÷ M, and MEMORY USAGE of one turn's keys. */
async function redisPerTurn(a, redisPort, m) {
  const Redis = require(require.resolve('ioredis', { paths: [path.join(ROOT, 'packages/session-redis')] }));
  const redis = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);
    const before = await used();
    let turnId;
    for (let i = 0; i < m; i += 1) {
      turnId = await startTurn(a, `retained-${i}`, 'I want a festive gift');
      await readToEnd(a, turnId);
    }
    const after = await used();
    const keys = await redis.keys(`bench:turn:{${turnId}}:*`);
    let keyBytes = 0;
    for (const key of keys) keyBytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    return { turns: m, usedMemoryPerTurnB: (after - before) / m, keysOfOneTurnB: keyBytes, keys: keys.length };
  } finally {
    redis.disconnect();
  }
}

async function main() {
  const quick = process.argv.includes('--quick');
  const cfg = quick
    ? { resumes: 100, screen: 100, slowReaders: 4, retained: 100 }
    : { resumes: 400, screen: 300, slowReaders: 8, retained: 500 };
  const { MockConnectlyServer } = require(path.join(ROOT, 'packages/mock-server/dist'));
  const { startRedis } = require(path.join(ROOT, 'packages/session-redis/test/redis-server.cjs'));
  // The long reply: 500 events of 32 kB, more than a paused client's socket buffers and the cap hold.
  const long = Array.from({ length: 500 }, (_, i) => ({
    messageEvent: { role: 'ASSISTANT', content: { textContent: { text: `${i}:${'x'.repeat(32_000)}` } } },
  }));
  const { demoReply } = require(path.join(ROOT, 'packages/mock-server/dist/agent.js'));
  const mock = new MockConnectlyServer({
    apiKey: KEY,
    maxRecords: 100,
    agent: (inputEvents) => (JSON.stringify(inputEvents).includes(BIG) ? long : demoReply(inputEvents)),
  });
  const redis = await startRedis();
  const replicas = [];
  const started = Date.now();
  try {
    await mock.start();
    replicas.push(...(await Promise.all([startReplica(mock.url, redis.url), startReplica(mock.url, redis.url)])));
    const [a, b] = replicas;
    // Warm-up: both routes and both replicas.
    await firstOnScreen(a, 10);
    await firstOnScreen(b, 10);
    const resume = await resumes(a, b, mock, cfg.resumes);
    const screen = await firstOnScreen(a, cfg.screen);
    const retained = await redisPerTurn(a, redis.port, cfg.retained);
    const slow = await slowClients(a, cfg.slowReaders);
    const parked = await parkedClients(a, b, mock, long, cfg.slowReaders, 132);
    const p = (values, q) => percentile(values, q);
    const result = {
      quick,
      cfg,
      resume: {
        live: { n: resume.live.length, p50: p(resume.live, 50), p99: p(resume.live, 99) },
        finished: { n: resume.finished.length, p50: p(resume.finished, 50), p99: p(resume.finished, 99) },
      },
      screen: {
        n: screen.plain.length,
        plain: { p50: p(screen.plain, 50), p99: p(screen.plain, 99) },
        resumable: { p50: p(screen.resumable, 50), p99: p(screen.resumable, 99) },
      },
      slow,
      parked,
      retained,
      seconds: (Date.now() - started) / 1000,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    keepAlive.destroy();
    await mock.stop();
    await redis.stop();
  }
}

if (process.argv[2] === 'app') app(process.argv[3], process.argv[4]);
else
  main().catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
