#!/usr/bin/env node
// npm run soak -- --minutes N [--concurrency C]: invokes against the mock server for N minutes with a
// fault injected at random into each one, checking that every event the server sent before the fault
// arrived and that each fault ends in the error it should. Reports invokes completed, faults survived,
// events lost (must be 0) and memory over time; exits 1 if anything was lost or unexpected.
'use strict';

const { parseArgs } = require('node:util');
const { Observable, lastValueFrom, firstValueFrom, toArray, catchError, of } = require('rxjs');
const { ConnectlyClient } = require('../packages/agent-graph/dist');
const { MockConnectlyServer } = require('../packages/mock-server/dist');
const { random } = require('./lib/corpus');

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
  },
});
const minutes = Number(values.minutes);
const concurrency = Number(values.concurrency);
if (!(minutes > 0) || !(concurrency > 0)) {
  process.stderr.write('usage: npm run soak -- --minutes N [--concurrency C] [--seed S]\n');
  process.exit(2);
}

const text = (t) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text: t } } } });
const THREE = [text('one 👋'), text('two é'), text('three 日本')];
const line = (event) => JSON.stringify({ result: { response: { sessionId: 'soak', responseEvents: [event] } } });

// Each fault, and what the client must show for it: events delivered, then the error (or none).
const FAULTS = [
  { name: 'none', fault: { events: THREE }, delivered: 3 },
  { name: 'ragged chunks', fault: { events: THREE, chunkSize: 'ragged' }, delivered: 3 },
  { name: 'single-byte chunks', fault: { events: THREE, chunkSize: 1 }, delivered: 3 },
  { name: 'keep-alive flood', fault: { events: THREE, keepAlive: 200 }, delivered: 3 },
  {
    name: 'several events per line, CRLF',
    fault: { events: THREE, eventsPerLine: 2, lineEnding: '\r\n' },
    delivered: 3,
  },
  {
    name: 'error line',
    fault: { events: THREE, errorAfterEvents: 2, code: 13 },
    delivered: 2,
    error: 'ConnectlyApiError',
  },
  {
    name: 'reset between lines',
    fault: { events: THREE, resetAfterEvents: 1 },
    delivered: 1,
    error: 'ConnectlyConnectionError',
  },
  {
    name: 'reset mid-line',
    fault: { events: THREE, resetAfterEvents: 2, resetMidLine: true },
    delivered: 2,
    error: 'ConnectlyConnectionError',
  },
  { name: '503 then retried', fault: { status: 503, retryAfter: 0 }, delivered: 2 },
  { name: '500', fault: { status: 500 }, delivered: 0, error: 'ConnectlyApiError' },
  {
    name: 'stall mid-stream',
    fault: { events: THREE, stall: 'body', afterEvents: 1 },
    delivered: 1,
    error: 'ConnectlyTimeoutError',
  },
  {
    name: 'malformed line',
    fault: { body: `${line(THREE[0])}\n{"oops\n` },
    delivered: 1,
    error: 'ConnectlyProtocolError',
  },
];

async function main() {
  const mock = new MockConnectlyServer({ apiKey: 'soak-key' });
  const baseUrl = await mock.start();
  const client = new ConnectlyClient({
    apiKey: 'soak-key',
    businessId: 'soak',
    baseUrl,
    idleTimeoutMs: 300,
    retryBaseDelayMs: 20,
    maxRetries: 1,
  });
  const stats = { invokes: 0, faultsSurvived: 0, eventsLost: 0, unexpected: 0, byFault: {} };
  const samples = [];
  const started = Date.now();
  const deadline = started + minutes * 60_000;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    samples.push({
      seconds: Math.round((Date.now() - started) / 1000),
      invokes: stats.invokes,
      rssMB: rss / 1048576,
      heapMB: heapUsed / 1048576,
    });
  };
  sample();
  const sampler = setInterval(sample, Math.max(5_000, (minutes * 60_000) / 20));
  // The mock keeps a record of every request: clear it now and then, it is not the client's memory.
  const cleaner = setInterval(() => mock.clearRecords(), 10_000);

  async function worker(id) {
    const rand = random(Number(values.seed) * 1000 + id);
    const clientKey = `soak-${id}`;
    const { sessionId } = await firstValueFrom(client.init({ clientKey }));
    while (Date.now() < deadline) {
      const row = FAULTS[Math.floor(rand() * FAULTS.length)];
      mock.inject({ ...row.fault, sessionId });
      const outcome = await lastValueFrom(
        client.invoke({ clientKey, sessionId, text: 'hi' }).pipe(
          toArray(),
          catchError((error) => of(error)),
        ),
      ).catch((error) => error);
      const received = Array.isArray(outcome) ? outcome.length : (outcome.delivered ?? 0);
      stats.invokes += 1;
      const entry = (stats.byFault[row.name] ??= { runs: 0, ok: 0 });
      entry.runs += 1;
      const errorName = Array.isArray(outcome) ? undefined : outcome.name;
      if (errorName === row.error) {
        entry.ok += 1;
        if (row.error) stats.faultsSurvived += 1;
      } else {
        stats.unexpected += 1;
        if (stats.unexpected <= 5)
          process.stderr.write(`unexpected outcome for "${row.name}": ${errorName ?? `${received} events`}\n`);
      }
      if (received < row.delivered) stats.eventsLost += row.delivered - received;
      else if (received > row.delivered) stats.unexpected += 1;
    }
  }

  // Count what arrived before each error too: wrap invoke so an error carries the events before it.
  const invoke = client.invoke.bind(client);
  client.invoke = (request, options) =>
    new Observable((subscriber) => {
      const events = [];
      return invoke(request, options).subscribe({
        next: (event) => {
          events.push(event);
          subscriber.next(event);
        },
        error: (error) => {
          error.delivered = events.length;
          subscriber.error(error);
        },
        complete: () => subscriber.complete(),
      });
    });

  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
  clearInterval(sampler);
  clearInterval(cleaner);
  sample();
  await mock.stop();

  console.log(`Soak: ${minutes} min, ${concurrency} concurrent conversations, Node ${process.version}\n`);
  console.log(`| invokes completed | faults survived | events lost | unexpected outcomes |\n|---|---|---|---|`);
  console.log(`| ${stats.invokes} | ${stats.faultsSurvived} | ${stats.eventsLost} | ${stats.unexpected} |\n`);
  console.log('| fault | runs | as expected |\n|---|---|---|');
  for (const [name, { runs, ok }] of Object.entries(stats.byFault)) console.log(`| ${name} | ${runs} | ${ok} |`);
  console.log('\n| seconds | invokes | RSS MB | heap MB |\n|---|---|---|---|');
  for (const s of samples)
    console.log(`| ${s.seconds} | ${s.invokes} | ${s.rssMB.toFixed(1)} | ${s.heapMB.toFixed(1)} |`);
  process.exitCode = stats.eventsLost === 0 && stats.unexpected === 0 ? 0 : 1;
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
