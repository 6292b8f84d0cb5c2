#!/usr/bin/env node
// npm run bench:sessions [-- --quick]: conversations in a session store, against the mock on 127.0.0.1.
// 1. A burst of 20 concurrent turns for one customer from two OS processes sharing one Redis: how many
//    inits and overlapping invokes the mock saw, and whether every message went out exactly once.
// 2. The latency a store adds to one turn: sequential turns with the in-memory store and with Redis
//    (a real redis-server on a free loopback port), rounds interleaved; p50 and p99 of the whole turn
//    and of the time spent waiting on the store within it (timed around each store call).
'use strict';

const { ConnectlyClient, MemorySessionStore } = require('../packages/agent-graph/dist/index.js');
const { MockConnectlyServer, echoReply } = require('../packages/mock-server/dist/index.js');
const { RedisSessionStore } = require('../packages/session-redis/dist/index.js');
const { startRedis } = require('../packages/session-redis/test/redis-server.cjs');
const { buildCustomerProcess, startCustomer } = require('../packages/session-redis/test/customer-processes.cjs');
const { percentile, fmt } = require('./lib/stats');

const quick = process.argv.includes('--quick');
const BURSTS = quick ? 2 : 5;
const TURNS = quick ? 200 : 1000;
const ROUNDS = quick ? 2 : 5;

async function burst(mock, redis, file, round) {
  mock.reset();
  const messages = (p) => Array.from({ length: 10 }, (_, i) => `p${p}-m${i}`);
  const processes = [0, 1].map((p) =>
    startCustomer(file, {
      baseUrl: mock.url,
      redisUrl: redis.url,
      prefix: `bench-burst-${round}:`,
      clientKey: 'alice',
      messages: messages(p),
    }),
  );
  await Promise.all(processes.map((proc) => proc.until((lines) => lines.some((line) => line.type === 'ready'))));
  const started = performance.now();
  for (const proc of processes) proc.go();
  const outputs = await Promise.all(
    processes.map((proc) => proc.until((lines) => lines.filter((line) => line.type !== 'ready').length >= 10, 60_000)),
  );
  const ms = performance.now() - started;
  await Promise.all(processes.map((proc) => proc.exited));
  const invokes = mock.requests.filter((request) => request.endpoint === 'invoke');
  const sent = invokes.flatMap((request) =>
    request.body.inputEvents.map((e) => e.messageEvent.content.textContent.text),
  );
  const expected = [...messages(0), ...messages(1)].sort();
  return {
    inits: mock.requests.filter((request) => request.endpoint === 'init').length,
    overlaps: mock.overlaps,
    turns: invokes.length,
    replies: outputs.flat().filter((line) => line.type === 'reply').length,
    exactlyOnce: JSON.stringify([...sent].sort()) === JSON.stringify(expected),
    ms,
  };
}

// Wraps a store so the time spent waiting on it is added up: the store's own share of each turn,
// apart from the noise of the HTTP round trip.
function timed(store) {
  const spent = { ms: 0 };
  const wrapped = {};
  for (const name of ['get', 'set', 'delete', 'lock', 'renew', 'unlock']) {
    wrapped[name] = async (...args) => {
      const started = performance.now();
      try {
        return await store[name](...args);
      } finally {
        spent.ms += performance.now() - started;
      }
    };
  }
  return { store: wrapped, spent };
}

async function latencies(mock, rawStore, turns, clientKey) {
  const { store, spent } = timed(rawStore);
  const client = new ConnectlyClient({ apiKey: 'k', businessId: 'biz', baseUrl: mock.url, sessionStore: store });
  await client.session({ clientKey }).reply('warm up');
  const total = [];
  const inStore = [];
  for (let i = 0; i < turns; i += 1) {
    spent.ms = 0;
    const started = performance.now();
    await client.session({ clientKey }).reply(`turn ${i}`);
    total.push(performance.now() - started);
    inStore.push(spent.ms);
  }
  return { total, inStore };
}

async function main() {
  const [redis, build] = await Promise.all([startRedis(), buildCustomerProcess()]);
  const mock = new MockConnectlyServer({ agent: echoReply });
  await mock.start();
  const lines = [];
  const say = (text) => {
    lines.push(text);
    process.stdout.write(`${text}\n`);
  };
  try {
    say(
      `Burst: 20 concurrent turns for one customer, 10 from each of two processes sharing one Redis (${BURSTS} runs)`,
    );
    say('| run | inits | overlapping invokes | turns sent | replies | every message exactly once | wall ms |');
    say('|---|---|---|---|---|---|---|');
    for (let round = 1; round <= BURSTS; round += 1) {
      const r = await burst(mock, redis, build.file, round);
      say(
        `| ${round} | ${r.inits} | ${r.overlaps} | ${r.turns} | ${r.replies}/20 | ${r.exactlyOnce ? 'yes' : 'NO'} | ${fmt(r.ms)} |`,
      );
    }

    const memory = { total: [], inStore: [] };
    const shared = { total: [], inStore: [] };
    const redisStore = new RedisSessionStore({ url: redis.url, prefix: 'bench-latency:' });
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [into, store, name] of [
        [memory, new MemorySessionStore(), 'memory'],
        [shared, redisStore, 'redis'],
      ]) {
        const times = await latencies(mock, store, TURNS, `${name}-${round}`);
        into.total.push(...times.total);
        into.inStore.push(...times.inStore);
        mock.reset();
      }
    }
    await redisStore.close();
    const ms = (times, p) => fmt(percentile(times, p), 3);
    const row = (name, times) =>
      `| ${name} | ${ms(times.total, 50)} | ${ms(times.total, 99)} | ${ms(times.inStore, 50)} | ${ms(times.inStore, 99)} |`;
    say('');
    say(`Latency of one turn (sequential, ${ROUNDS} interleaved rounds × ${TURNS} turns, mock and Redis on 127.0.0.1)`);
    say('| store | turn p50 ms | turn p99 ms | in the store p50 ms | in the store p99 ms |');
    say('|---|---|---|---|---|');
    say(row('MemorySessionStore', memory));
    say(row('RedisSessionStore', shared));
    const diff = (p) => fmt(percentile(shared.inStore, p) - percentile(memory.inStore, p), 3);
    say(`Added by Redis per turn (time in the store, Redis minus memory): p50 ${diff(50)} ms, p99 ${diff(99)} ms`);
  } finally {
    await mock.stop();
    await redis.stop();
    build.dispose();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
