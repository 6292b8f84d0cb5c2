// One end-to-end measurement in a fresh client process: node bench/e2e.js <mode> <server url> [args]
//   core <repeat>            client.invoke() over the corpus stream: throughput
//   loop <repeat>            a minimal fetch + TextDecoder + split + JSON.parse loop: the same stream
//   latency <lines> <gapMs>  server write → subscriber, on a warm connection (p50, p99)
//   memory <repeat>          RSS while client.invoke() streams <repeat> × the corpus
//   concurrency <n>          <n> simultaneous invoke() streams against the mock server
//   side <repeat> <rounds> [only]  client.invoke() and the minimal loop alternating in this one process,
//                            the server in its own: wall and this process's CPU per round (only = core | loop)
//   inproc <MB> <rounds> [only]  invoke() and the minimal loop alternating, the server in this process
//                            (<url> is ignored; only = core | loop runs one of them, for a CPU profile)
// Prints one JSON line.
'use strict';

const { lastValueFrom, count, tap, toArray } = require('rxjs');
const { ConnectlyClient } = require('../packages/agent-graph/dist');
const { percentile } = require('./lib/stats');
const { startSessions } = require('./lib/sessions');

const [mode, url, a, b] = process.argv.slice(2);
const cpuMs = (usage) => (usage.user + usage.system) / 1000;
const request = { clientKey: 'bench', sessionId: 'b6bed81c-5fda-486d-b96c-1ff3af36219a', text: 'hi' };
const client = (base) =>
  new ConnectlyClient({ apiKey: 'bench-key', businessId: 'bench', baseUrl: base, idleTimeoutMs: 0, timeoutMs: 0 });

async function core(repeat) {
  const started = performance.now();
  const events = await lastValueFrom(client(`${url}/corpus/${repeat}`).invoke(request).pipe(count()));
  return { ms: performance.now() - started, events };
}

async function loop(repeat, base = url) {
  const started = performance.now();
  const response = await fetch(`${base}/corpus/${repeat}/external/v1/ai/agent_graph/invoke`, {
    method: 'POST',
    body: '{}',
  });
  const decoder = new TextDecoder();
  let carry = '';
  let events = 0;
  for await (const chunk of response.body) {
    const text = carry + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    carry = lines.pop();
    for (const line of lines) if (line) events += JSON.parse(line).result.response.responseEvents.length;
  }
  carry += decoder.decode();
  if (carry) events += JSON.parse(carry).result.response.responseEvents.length;
  return { ms: performance.now() - started, events };
}

async function latency(lines, gap) {
  const c = client(`${url}/latency/${lines}/${gap}`);
  await lastValueFrom(c.invoke(request)); // warms the connection and the code
  const samples = [];
  await lastValueFrom(
    c
      .invoke(request)
      .pipe(
        tap((event) => samples.push(Number(process.hrtime.bigint() - BigInt(event.messageEvent.metadata.t)) / 1e6)),
      ),
  );
  return {
    samples: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
  };
}

async function memory(repeat) {
  const c = client(`${url}/corpus/1`);
  await lastValueFrom(c.invoke(request)); // warm-up: code, connection, heap at its working size
  global.gc();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const events = await lastValueFrom(client(`${url}/corpus/${repeat}`).invoke(request).pipe(count()));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    ms: performance.now() - started,
    events,
    baselineMB: baseline / 1048576,
    growthMB: (peak - baseline) / 1048576,
  };
}

async function concurrency(n) {
  const c = new ConnectlyClient({ apiKey: 'bench-key', businessId: 'bench', baseUrl: url, maxRetries: 0 });
  const sessions = await startSessions(c, n);
  global.gc();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let open = 0;
  let peakOpen = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
  }, 10);
  const started = performance.now();
  const results = await Promise.allSettled(
    sessions.map((s) => {
      open += 1;
      peakOpen = Math.max(peakOpen, open);
      return lastValueFrom(c.invoke({ ...s, text: 'I want a festive gift' }).pipe(count())).finally(() => (open -= 1));
    }),
  );
  const ms = performance.now() - started;
  clearInterval(sampler);
  const failed = results.filter((r) => r.status === 'rejected');
  const events = results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value : 0), 0);
  return {
    ms,
    streams: n,
    completed: n - failed.length,
    failed: failed.length,
    firstError: failed[0] ? String(failed[0].reason.message) : undefined,
    events,
    peakOpen,
    perStreamKB: (peak - baseline) / n / 1024,
  };
}

/**
 * ConnectlyService.invoke() in a Nest application context against client.invoke(), alternating, same stream;
 * and a turn through ConnectlyService.session() with the in-memory store and with Redis (a real
 * redis-server on a free loopback port, started here and stopped at the end).
 */
async function nest(repeat, rounds) {
  require('reflect-metadata');
  const { Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { MemorySessionStore } = require('../packages/agent-graph/dist');
  const { RedisSessionStore } = require('../packages/session-redis/dist');
  const { startRedis } = require('../packages/session-redis/test/redis-server.cjs');
  const { ConnectlyModule, ConnectlyService } = require('../nest-module/dist');
  const baseUrl = `${url}/corpus/${repeat}`;
  const options = { apiKey: 'bench-key', businessId: 'bench', baseUrl, idleTimeoutMs: 0, timeoutMs: 0 };
  const redis = await startRedis();
  const apps = [];
  const serviceWith = async (sessionStore) => {
    class AppModule {}
    Module({ imports: [ConnectlyModule.forRoot({ ...options, sessionStore })] })(AppModule);
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    apps.push(app);
    return app.get(ConnectlyService);
  };
  try {
    const service = await serviceWith(new MemorySessionStore());
    // Given as a factory, so the module builds the store and closes its connection with the app.
    const shared = await serviceWith(() => new RedisSessionStore({ url: redis.url, prefix: 'bench-nest:' }));
    return await nestRounds(client(baseUrl), service, shared, rounds);
  } finally {
    for (const app of apps) await app.close();
    await redis.stop();
  }
}

async function nestRounds(bare, service, shared, rounds) {
  const time = async (source) => {
    const started = performance.now();
    const events = await lastValueFrom(source.pipe(count()));
    return { ms: performance.now() - started, events };
  };
  const paths = {
    core: () => bare.invoke(request),
    adapter: () => service.invoke(request),
    // A turn of a stored conversation: the store's lock around the same stream.
    session: () => service.session({ clientKey: request.clientKey }).send(request.text),
    redis: () => shared.session({ clientKey: request.clientKey }).send(request.text),
  };
  for (const path of Object.values(paths)) await time(path());
  const out = { core: [], adapter: [], session: [], redis: [] };
  let events;
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, path] of Object.entries(paths)) {
      const result = await time(path());
      if (events !== undefined && result.events !== events)
        throw new Error(`${name} delivered ${result.events} events, expected ${events}`);
      events = result.events;
      out[name].push(result.ms);
    }
  }
  return { events, ...out };
}

/**
 * The n8n node's execute() ("events": one item per event, or "reply": the whole reply) against client.invoke() through the same node:http transport
 * that stands in for n8n's request helper, alternating, same stream: the difference is the node itself.
 */
async function n8n(repeat, rounds, output, only) {
  const http = require('node:http');
  const { Connectly } = require('../dist/nodes/Connectly/Connectly.node.js');
  const baseUrl = `${url}/corpus/${repeat}`;
  const httpPost = (options) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        options.url,
        { method: options.method, headers: options.headers, signal: options.abortSignal },
        (res) => resolve({ statusCode: res.statusCode, headers: res.headers, body: res }),
      );
      req.on('error', reject);
      req.end(options.body);
    });
  const nodeFetch = (target, init) =>
    httpPost({
      url: target,
      method: init.method,
      headers: init.headers,
      body: init.body,
      abortSignal: init.signal,
    }).then((r) => ({
      status: r.statusCode,
      headers: { get: (name) => r.headers[name.toLowerCase()] ?? null },
      body: r.body,
    }));
  const parameters = {
    resource: 'agent',
    operation: 'sendMessage',
    clientKey: request.clientKey,
    sessionId: request.sessionId,
    inputType: 'text',
    text: 'hi',
    output,
    options: { idleTimeout: 600, timeout: 600 },
  };
  const context = {
    getInputData: () => [{ json: {} }],
    getNode: () => ({ name: 'Connectly', type: 'n8n-nodes-connectly.connectly', typeVersion: 1, parameters: {} }),
    getNodeParameter: (name, _i, fallback) => parameters[name] ?? fallback,
    getCredentials: async () => ({ apiKey: 'bench-key', businessId: 'bench', baseUrl }),
    continueOnFail: () => false,
    isStreaming: () => false,
    sendChunk: () => undefined,
    getExecutionCancelSignal: () => undefined,
    helpers: { httpRequestWithAuthentication: (_type, options) => httpPost(options) },
  };
  const node = new Connectly();
  const bare = new ConnectlyClient({
    apiKey: 'bench-key',
    businessId: 'bench',
    baseUrl,
    fetch: nodeFetch,
    idleTimeoutMs: 0,
    timeoutMs: 0,
  });
  const items = (outputs) =>
    output === 'events' ? outputs[0].length + outputs[1].length : outputs[0][0].json.eventCount;
  // The contenders: the bare core letting each event go, the bare core holding every event to the end
  // (what anything that returns the whole reply must do), for the whole reply the core's own reply()
  // (every event held, then gathered into the same AgentReply, joined text included), and the node.
  const contenders = {
    core: async () => {
      const events = await lastValueFrom(bare.invoke(request).pipe(count()));
      return { events, held: events };
    },
    collect: async () => {
      const held = await lastValueFrom(bare.invoke(request).pipe(toArray()));
      return { events: held.length, held };
    },
    ...(output === 'reply' && {
      reply: async () => {
        const held = await bare.reply(request);
        return { events: held.events.length, held };
      },
    }),
    node: async () => {
      const held = await node.execute.call(context);
      return { events: items(held), held };
    },
  };
  const names = only ? [only] : Object.keys(contenders);
  // Process CPU time beside wall time: on a loaded machine it is the steadier figure. Each run starts
  // from a collected heap, so none pays for the garbage of the one before (reply() leaves twice the node's).
  const time = async (name) => {
    global.gc();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const { events } = await contenders[name]();
    return { ms: performance.now() - started, cpuMs: cpuMs(process.cpuUsage(cpu)), events };
  };
  for (const name of names) await time(name);
  // Bytes allocated per event (garbage included), and bytes still held when the call has returned.
  const { measureAllocation } = require('./lib/allocation');
  // In a function of its own, so what one contender held is gone before the next is measured.
  const heldPerEvent = async (name) => {
    global.gc();
    const before = process.memoryUsage().heapUsed;
    const kept = await contenders[name]();
    global.gc();
    return (process.memoryUsage().heapUsed - before) / kept.events;
  };
  const out = {};
  for (const name of names) out[name] = { ms: [], cpuMs: [], heldBytesPerEvent: await heldPerEvent(name) };
  for (const name of names) {
    const { result, bytes } = await measureAllocation(contenders[name]);
    out[name].bytesPerEvent = bytes / result.events;
  }
  let events;
  for (let round = 0; round < rounds; round += 1) {
    for (const name of names) {
      const result = await time(name);
      if (events !== undefined && result.events !== events)
        throw new Error(`${name} delivered ${result.events} events or items, expected ${events}`);
      events = result.events;
      out[name].ms.push(result.ms);
      out[name].cpuMs.push(result.cpuMs);
    }
  }
  return { events, output, ...out };
}

/**
 * Long streams in one client process, side by side: client.invoke() on its default transport and the
 * plainest loop a user would write (fetch + TextDecoder + split + JSON.parse), alternating rounds
 * against the server in its own process, so this process's CPU is the client's alone.
 */
async function side(repeat, rounds, only) {
  const c = client(`${url}/corpus/${repeat}`);
  const runs = {
    core: async () => ({ events: await lastValueFrom(c.invoke(request).pipe(count())) }),
    loop: () => loop(repeat),
  };
  const names = only ? [only] : Object.keys(runs);
  const out = Object.fromEntries(names.map((name) => [name, { ms: [], cpuMs: [] }]));
  let events;
  for (let round = 0; round <= rounds; round += 1) {
    for (const name of names) {
      global.gc?.();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const result = await runs[name]();
      const ms = performance.now() - started;
      const used = cpuMs(process.cpuUsage(cpu));
      if (events !== undefined && result.events !== events)
        throw new Error(`${name} counted ${result.events} events, expected ${events}`);
      events = result.events;
      if (round === 0) continue; // warm-up: JIT and the connection
      out[name].ms.push(ms);
      out[name].cpuMs.push(used);
    }
  }
  return { events, ...out };
}

/**
 * The usual shape of a test or a Nest app beside a local proxy: the stream server in the client's own
 * process, so the server's writes and the client's parsing share one thread. Alternating rounds.
 */
async function inproc(megabytes, rounds, only) {
  const { makeCorpus } = require('./lib/corpus');
  const { startStreamServer } = require('./lib/stream-server');
  const { buffer, events: expected } = makeCorpus(megabytes);
  const server = await startStreamServer(buffer);
  const c = client(`${server.url}/corpus/1`);
  // CPU time (this process: server and client) beside wall time: on a loaded machine it is the steadier figure.
  const timed = async (run) => {
    const cpu = process.cpuUsage();
    const result = await run();
    const used = process.cpuUsage(cpu);
    return { ...result, cpuMs: (used.user + used.system) / 1000 };
  };
  const runCore = () =>
    timed(async () => {
      const started = performance.now();
      const events = await lastValueFrom(c.invoke(request).pipe(count()));
      return { ms: performance.now() - started, events };
    });
  const runLoop = () => timed(() => loop(1, server.url));
  const core = [];
  const minimal = [];
  const coreCpu = [];
  const loopCpu = [];
  try {
    await runCore();
    await runLoop();
    for (let round = 0; round < rounds; round += 1) {
      for (const [run, out, cpu, name] of [
        [runCore, core, coreCpu, 'core'],
        [runLoop, minimal, loopCpu, 'loop'],
      ]) {
        if (only && only !== name) continue;
        const result = await run();
        if (result.events !== expected) throw new Error(`${name} counted ${result.events} of ${expected} events`);
        out.push(result.ms);
        cpu.push(result.cpuMs);
      }
    }
  } finally {
    await server.close();
  }
  return { events: expected, megabytes: buffer.length / 1048576, core, loop: minimal, coreCpu, loopCpu };
}

const modes = {
  side: () => side(Number(a), Number(b), process.argv[6]),
  inproc: () => inproc(Number(a), Number(b), process.argv[6]),
  n8n: () => n8n(Number(a), Number(b), process.argv[6] ?? 'events', process.argv[7]),
  nest: () => nest(Number(a), Number(b)),
  core: () => core(Number(a)),
  loop: () => loop(Number(a)),
  latency: () => latency(Number(a), Number(b)),
  memory: () => memory(Number(a)),
  concurrency: () => concurrency(Number(a)),
};

modes[mode]()
  .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
  .catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
