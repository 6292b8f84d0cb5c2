#!/usr/bin/env node
// npm run bench:sessions [-- --quick]: conversations in a session store, against the mock on 127.0.0.1.
// 1. A burst of 20 concurrent turns for one customer from two OS processes sharing one Redis: how many
//    inits and overlapping invokes the mock saw, and whether every message went out exactly once.
// 2. The latency a store adds to one turn: sequential turns with the in-memory store and with Redis
//    (a real redis-server on a free loopback port), rounds interleaved; p50 and p99 of each.
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

async function latencies(mock, store, turns, clientKey) {
  const client = new ConnectlyClient({ apiKey: 'k', businessId: 'biz', baseUrl: mock.url, sessionStore: store });
  await client.session({ clientKey }).reply('warm up');
  const times = [];
  for (let i = 0; i < turns; i += 1) {
    const started = performance.now();
    await client.session({ clientKey }).reply(`turn ${i}`);
    times.push(performance.now() - started);
  }
  return times;
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

    const memory = [];
    const shared = [];
    const redisStore = new RedisSessionStore({ url: redis.url, prefix: 'bench-latency:' });
    for (let round = 0; round < ROUNDS; round += 1) {
      memory.push(...(await latencies(mock, new MemorySessionStore(), TURNS, `memory-${round}`)));
      mock.reset();
      shared.push(...(await latencies(mock, redisStore, TURNS, `redis-${round}`)));
      mock.reset();
    }
    await redisStore.close();
    const row = (name, times) => `| ${name} | ${fmt(percentile(times, 50), 3)} | ${fmt(percentile(times, 99), 3)} |`;
    say('');
    say(`Latency of one turn (sequential, ${ROUNDS} interleaved rounds × ${TURNS} turns, mock and Redis on 127.0.0.1)`);
    say('| store | p50 ms | p99 ms |');
    say('|---|---|---|');
    say(row('MemorySessionStore', memory));
    say(row('RedisSessionStore', shared));
    say(
      `| added by Redis | ${fmt(percentile(shared, 50) - percentile(memory, 50), 3)} | ${fmt(percentile(shared, 99) - percentile(memory, 99), 3)} |`,
    );
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
