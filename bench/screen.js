// What a chat user feels, measured in a fresh process: node bench/screen.js <mode> …
//   latency <stream url> <nest url> <lines> <gapMs> <rounds>
//       server write → core subscriber, and server write → a browser-like fetch reader of the Nest toSse
//       route (bench/nest-app.js, whose upstream is the same stream), alternating rounds on warm connections
//   concurrency <mock url> <nest url> <n>
//       <n> customers' first turns at once (start the session, then the turn) straight from the core, then
//       through the Nest SSE route of ConnectlyService.session() in the in-memory session store: time to
//       first event, events received, and the Nest process's memory and CPU time per stream
//   many <nest url> <n> <perTick>
//       <n> customers' first turns through the same Nest SSE route, opened <perTick> every 10 ms (so the
//       listen backlog is never overrun), all open together while the mock's paced replies run: completed
//       and lost, time to first event, the most open at once, and the Nest process's memory per open
//       stream (peak RSS growth, and heap growth after a full GC once every stream is open)
// Prints one JSON line.
'use strict';

const { lastValueFrom, tap, count } = require('rxjs');
const { ConnectlyClient } = require('../packages/agent-graph/dist');
const { percentile } = require('./lib/stats');

const [mode, ...args] = process.argv.slice(2);
const SESSION = 'b6bed81c-5fda-486d-b96c-1ff3af36219a';
const sinceStamp = (t) => Number(process.hrtime.bigint() - BigInt(t)) / 1e6;

/**
 * Reads a server-sent-event stream as a browser's EventSource would: splits events on blank lines and
 * hands each `data:` payload, parsed, to `onEvent` with its `event:` type.
 */
async function readSse(url, onEvent) {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  if (response.status !== 200) throw new Error(`${url} answered HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let carry = '';
  for await (const chunk of response.body) {
    carry += decoder.decode(chunk, { stream: true });
    let end = carry.indexOf('\n\n');
    while (end !== -1) {
      let type = 'message';
      let data = '';
      for (const line of carry.slice(0, end).split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (data) onEvent(type, JSON.parse(data));
      carry = carry.slice(end + 2);
      end = carry.indexOf('\n\n');
    }
  }
}

/**
 * One customer's turn read from a Nest SSE route: its events, whether the done event came, and the time
 * from the request to the first event; an error event fails it.
 */
async function readTurn(url) {
  const opened = performance.now();
  let firstMs;
  let events = 0;
  let done = false;
  await readSse(url, (type, data) => {
    if (type === 'connectly.done') done = true;
    else if (type === 'connectly.error') throw new Error(`the stream ended with an error event: ${data.message}`);
    else {
      firstMs ??= performance.now() - opened;
      events += 1;
    }
  });
  return { firstMs, events, done };
}

async function latency(streamUrl, nestUrl, lines, gap, rounds) {
  const client = new ConnectlyClient({
    apiKey: 'bench-key',
    businessId: 'bench',
    baseUrl: `${streamUrl}/latency/${lines}/${gap}`,
    idleTimeoutMs: 0,
  });
  const request = { clientKey: 'bench', sessionId: SESSION, text: 'hi' };
  const viaCore = async (samples) =>
    lastValueFrom(client.invoke(request).pipe(tap((event) => samples.push(sinceStamp(event.messageEvent.metadata.t)))));
  const viaNest = (samples) =>
    readSse(`${nestUrl}/chat?clientKey=bench&sessionId=${SESSION}`, (type, event) => {
      if (type === 'messageEvent') samples.push(sinceStamp(event.messageEvent.metadata.t));
    });
  await viaCore([]); // warms connections and code on both paths
  await viaNest([]);
  const core = [];
  const nest = [];
  for (let round = 0; round < rounds; round += 1) {
    await viaCore(core);
    await viaNest(nest);
  }
  if (core.length !== lines * rounds || nest.length !== lines * rounds)
    throw new Error(`expected ${lines * rounds} lines on each path, got ${core.length} and ${nest.length}`);
  const summary = (samples) => ({
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
  });
  return { samples: core.length, core: summary(core), nest: summary(nest) };
}

async function concurrency(mockUrl, nestUrl, n) {
  const client = new ConnectlyClient({ apiKey: 'bench-key', businessId: 'bench', baseUrl: mockUrl, maxRetries: 0 });
  const text = 'I want a festive gift';
  // What one conversation should receive, asked of the mock directly.
  const expected = await lastValueFrom(client.session({ clientKey: 'probe' }).send(text).pipe(count()));
  // The same first turns straight from the core first (start the session, then the turn): the baseline.
  const direct = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const opened = performance.now();
      let firstMs;
      const events = await lastValueFrom(
        client
          .session({ clientKey: `direct-${i}` })
          .send(text)
          .pipe(
            tap(() => (firstMs ??= performance.now() - opened)),
            count(),
          ),
      );
      if (events !== expected) throw new Error(`the core received ${events} of ${expected} events`);
      return firstMs;
    }),
  );
  const memory = async () => (await fetch(`${nestUrl}/memory`)).json();
  await readSse(`${nestUrl}/turn?clientKey=warm-up`, () => undefined);
  const before = await memory();
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: n }, async (_, i) => {
      const { firstMs, events, done } = await readTurn(`${nestUrl}/turn?clientKey=customer-${i}`);
      if (!done || events !== expected) throw new Error(`received ${events} of ${expected} events, done: ${done}`);
      return firstMs;
    }),
  );
  const ms = performance.now() - started;
  const after = await memory();
  const failed = outcomes.filter((o) => o.status === 'rejected');
  const firsts = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
  return {
    streams: n,
    completed: firsts.length,
    failed: failed.length,
    firstError: failed[0] ? String(failed[0].reason.message) : undefined,
    eventsPerStream: expected,
    ms,
    firstEventP50: percentile(firsts, 50),
    firstEventP99: percentile(firsts, 99),
    coreFirstEventP50: percentile(direct, 50),
    coreFirstEventP99: percentile(direct, 99),
    nestCpuMsPerStream: (after.cpuMs - before.cpuMs) / n,
    rssBeforeMB: before.rssMB,
    perStreamKB: ((after.peakRssMB - before.rssMB) * 1024) / n,
  };
}

/** An error's message with its cause's code (fetch reports a socket's failure as its cause). */
const describeError = (error) =>
  [error?.message, error?.cause?.code ?? error?.cause?.message].filter(Boolean).join(': ') || String(error);

/** How many times each description occurs. */
const countErrors = (descriptions) => {
  const counts = {};
  for (const text of descriptions) counts[text] = (counts[text] ?? 0) + 1;
  return counts;
};

async function many(nestUrl, n, perTick) {
  // A browser waits long for a busy server to accept; fetch's own 10 s connect limit would count a
  // conversation queued in the listen backlog as lost.
  const undici = require('undici');
  undici.setGlobalDispatcher(new undici.Agent({ connectTimeout: 120_000, headersTimeout: 0, bodyTimeout: 0 }));
  const memory = async (gc) => (await fetch(`${nestUrl}/memory${gc ? '?gc=1' : ''}`)).json();
  await readSse(`${nestUrl}/turn?clientKey=warm-up`, () => undefined);
  const before = await memory(true);
  let open = 0;
  let peakOpen = 0;
  const started = performance.now();
  const turn = async (i) => {
    open += 1;
    peakOpen = Math.max(peakOpen, open);
    try {
      const { firstMs, events, done } = await readTurn(`${nestUrl}/turn?clientKey=many-${i}`);
      if (!done || events === 0) throw new Error(`received ${events} events, done: ${done}`);
      return { firstMs, events };
    } finally {
      open -= 1;
    }
  };
  const turns = [];
  for (let i = 0; i < n; i += perTick) {
    for (let j = i; j < Math.min(n, i + perTick); j += 1) {
      const settled = turn(j).then(
        (value) => ({ status: 'fulfilled', value }),
        (reason) => ({ status: 'rejected', reason }),
      );
      turns.push(settled);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Once every stream has been opened: the heap after a full GC, what the streams open then hold.
  const atPeak = await memory(true);
  const openAtPeak = open;
  const outcomes = await Promise.all(turns);
  const ms = performance.now() - started;
  const after = await memory(false);
  const failed = outcomes.filter((o) => o.status === 'rejected');
  const ok = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
  const firsts = ok.map((o) => o.firstMs);
  return {
    streams: n,
    completed: ok.length,
    failed: failed.length,
    firstError: failed[0] ? describeError(failed[0].reason) : undefined,
    errors: countErrors(failed.map((o) => describeError(o.reason))),
    eventsPerStream: ok[0]?.events,
    peakOpen,
    ms,
    firstEventP50: percentile(firsts, 50),
    firstEventP99: percentile(firsts, 99),
    rssBeforeMB: before.rssMB,
    peakRssPerStreamKB: ((after.peakRssMB - before.rssMB) * 1024) / peakOpen,
    openAtPeak,
    heapPerOpenStreamKB: ((atPeak.heapUsedMB - before.heapUsedMB) * 1024) / openAtPeak,
    rssPerOpenStreamKB: ((atPeak.rssMB - before.rssMB) * 1024) / openAtPeak,
    nestCpuMsPerStream: (after.cpuMs - before.cpuMs) / n,
  };
}

const modes = {
  many: () => many(args[0], Number(args[1]), Number(args[2])),
  latency: () => latency(args[0], args[1], Number(args[2]), Number(args[3]), Number(args[4])),
  concurrency: () => concurrency(args[0], args[1], Number(args[2])),
};

modes[mode]()
  .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
  .catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
