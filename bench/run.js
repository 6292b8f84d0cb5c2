#!/usr/bin/env node
// npm run bench [-- --quick] [-- --write]: every benchmark of the core, each measurement in a fresh
// process, rounds interleaved so a noisy neighbour hits all approaches alike; medians with min–max.
// --write also rewrites BENCHMARKS.md's figures and bench/throughput.svg from this run.
// --only short-turns runs the short-turns table alone, --only resumable the resumable replies' tables,
// --only long-streams invoke() beside a bare fetch loop on long streams in one client process, --only nest-10k
// 10,000 conversations at once through one Nest process; with --write each rewrites its own block of
// BENCHMARKS.md. --baseline <package dir> adds the rows of another build of the core to the short-turns
// table (e.g. an older release's packages/agent-graph, built), side by side.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { makeCorpus } = require('./lib/corpus');
const { child, median, fmt } = require('./lib/stats');
const { fillSlots } = require('./lib/slots');
const { BENCHMARKS, replaceBlock, writeBlock } = require('./lib/blocks');

const quick = process.argv.includes('--quick');
const write = process.argv.includes('--write');
const argAfter = (flag) => {
  const at = process.argv.indexOf(flag);
  return at === -1 ? undefined : process.argv[at + 1];
};
const only = argAfter('--only');
const baseline = argAfter('--baseline');
const cfg = quick
  ? {
      runs: 3,
      corpusMB: 16,
      longMB: 16,
      bytesMB: 2,
      peerLimitMs: 5_000,
      e2eRepeat: 4,
      memoryRepeat: 16,
      concurrency: 500,
      inprocMB: 16,
      latencyLines: 200,
      nestStreams: 1000,
      shortTurns: 1000,
      shortRounds: 3,
      sideRepeat: 4,
      sideRounds: 3,
      manyStreams: 2000,
    }
  : {
      runs: 7,
      corpusMB: 64,
      longMB: 50,
      bytesMB: 2,
      peerLimitMs: 20_000,
      e2eRepeat: 4,
      memoryRepeat: 16,
      concurrency: 500,
      inprocMB: 40,
      latencyLines: 400,
      nestStreams: 1000,
      shortTurns: 2000,
      shortRounds: 7,
      sideRepeat: 4,
      sideRounds: 7,
      manyStreams: 10_000,
    };
const PEERS = ['openai', 'ndjson', 'split2'];
const LABEL = {
  core: 'connectly-agent-graph AgentEventDecoder',
  floor: 'floor: TextDecoder + JSON.parse, lines pre-split',
  openai: 'openai 7.55 LineDecoder + JSON.parse',
  ndjson: 'ndjson 2.0.0 (split2 3 + JSON.parse)',
  split2: 'split2 4.2.0 + guarded JSON.parse',
};

// What the n8n node is set beside as "the core returning the same": every event, or the core's own reply().
const N8N_SAME = { events: 'collect', reply: 'reply' };

const lines = [];
const say = (text = '') => {
  lines.push(text);
  process.stdout.write(`${text}\n`);
};
const range = (values) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;

/** Starts a helper process that prints {"url": …} or "listening on URL"; resolves with its URL and a stop(). */
function serve(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start`)), 10_000);
    proc.stdout.on('data', (data) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(data.toString());
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        stop: () =>
          new Promise((done) => {
            proc.once('exit', done);
            proc.kill('SIGTERM');
          }),
      });
    });
    proc.once('error', reject);
  });
}

/** The mock server in its own process, pacing each reply: 3 events, 100 ms apart. */
const servePacedMock = () =>
  serve([path.join(__dirname, '..', 'packages', 'mock-server', 'dist', 'bin.js'), '--port', '0', '--pacing-ms', '100']);

async function decoderThroughput(file, mb) {
  const approaches = ['core', 'floor', ...PEERS];
  const ms = Object.fromEntries(approaches.map((a) => [a, []]));
  let events;
  for (let run = 0; run < cfg.runs; run += 1) {
    for (const approach of approaches) {
      const result = await child('decoder.js', [approach, 'corpus', file], 120_000);
      if (events !== undefined && result.events !== events)
        throw new Error(`${approach} counted ${result.events} events, expected ${events}`);
      events = result.events;
      ms[approach].push(result.ms);
    }
  }
  const ratio = (a, b) => ms[a].map((value, i) => value / ms[b][i]);
  say('### 1. Decoder throughput (bytes in, events out)');
  say();
  say('| approach | median ms | min–max ms | MB/s | × floor time |');
  say('|---|---|---|---|---|');
  for (const approach of approaches) {
    say(
      `| ${LABEL[approach]} | ${fmt(median(ms[approach]))} | ${range(ms[approach])} | ${fmt(mb / (median(ms[approach]) / 1000))} | ${fmt(median(ratio(approach, 'floor')), 2)} |`,
    );
  }
  say();
  const coreVsFloor = ratio('core', 'floor');
  say(
    `Core / floor time, per round: median ${fmt(median(coreVsFloor), 2)}× (${fmt(Math.min(...coreVsFloor), 2)}–${fmt(Math.max(...coreVsFloor), 2)}). Target ≤ 1.10×.`,
  );
  for (const peer of ['ndjson', 'split2']) {
    const speedup = ratio(peer, 'core');
    say(
      `Core is ${fmt(median(speedup), 2)}× faster than ${peer} (per round ${fmt(Math.min(...speedup), 2)}–${fmt(Math.max(...speedup), 2)}). Target ≥ 1.8×.`,
    );
  }
  say();
  return { ms, mbPerS: Object.fromEntries(approaches.map((a) => [a, mb / (median(ms[a]) / 1000)])) };
}

async function hostileInputs() {
  say('### 2. Hostile input: one long line');
  say();
  say(`| input | approach | ms | peak RSS growth | growth ÷ line size |`);
  say('|---|---|---|---|---|');
  const out = {};
  for (const [input, size] of [
    ['long', cfg.longMB],
    ['bytes', cfg.bytesMB],
  ]) {
    const name = input === 'long' ? `${size} MB line, 1 KiB chunks` : `${size} MB line, 1-byte chunks`;
    for (const approach of ['core', ...PEERS]) {
      const limit = approach === 'core' ? 120_000 : cfg.peerLimitMs;
      const results = [];
      for (let run = 0; run < (approach === 'core' ? 3 : 1); run += 1)
        results.push(await child('decoder.js', [approach, input, size], limit));
      const result =
        results.find((r) => r.timedOut) ?? results.sort((a, b) => a.ms - b.ms)[Math.floor(results.length / 2)];
      out[`${input}:${approach}`] = result;
      say(
        result.timedOut
          ? `| ${name} | ${approach} | > ${result.limitMs} (stopped) | – | – |`
          : `| ${name} | ${approach} | ${fmt(result.ms)} | ${fmt(result.peakRssGrowthMB)} MB | ${fmt(result.peakRssGrowthMB / size, 1)}× |`,
      );
    }
  }
  for (const input of ['blank', 'whitespace']) {
    const results = [];
    for (let run = 0; run < 3; run += 1) results.push(await child('decoder.js', ['core', input, 2], 120_000));
    const result = results.sort((a, b) => a.ms - b.ms)[1];
    out[`${input}:core`] = result;
    const name = input === 'blank' ? '2 MB of blank keep-alive lines' : '2 MB of whitespace-only keep-alive lines';
    say(`| ${name} | core | ${fmt(result.ms)} | ${fmt(result.peakRssGrowthMB)} MB | – |`);
  }
  say();
  say(
    `Targets: ${cfg.longMB} MB line under 1 s with peak memory under 6× the line; 2 MB of 1-byte chunks under 0.5 s; ` +
      'whitespace-only keep-alive lines cost about what blank ones do.',
  );
  say();
  return out;
}

async function endToEnd(file, mb) {
  const server = await serve([path.join(__dirname, 'server.js'), file]);
  try {
    const core = [];
    const loop = [];
    for (let run = 0; run < cfg.runs; run += 1) {
      core.push((await child('e2e.js', ['core', server.url, cfg.e2eRepeat], 120_000)).ms);
      loop.push((await child('e2e.js', ['loop', server.url, cfg.e2eRepeat], 120_000)).ms);
    }
    const total = mb * cfg.e2eRepeat;
    const ratios = loop.map((value, i) => value / core[i]);
    say('### 3. End to end over loopback');
    say();
    say(`A server process streams ${fmt(total)} MB of the corpus in 64 KiB writes; the client is another process.`);
    say();
    say('| client | median ms | min–max ms | MB/s |');
    say('|---|---|---|---|');
    say(
      `| client.invoke() (typed events) | ${fmt(median(core))} | ${range(core)} | ${fmt(total / (median(core) / 1000))} |`,
    );
    say(
      `| minimal fetch + TextDecoder + split + JSON.parse loop | ${fmt(median(loop))} | ${range(loop)} | ${fmt(total / (median(loop) / 1000))} |`,
    );
    say();
    say(
      `invoke() throughput ÷ loop throughput, per round: median ${fmt(median(ratios), 2)}× (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}). Target ≥ 0.9×.`,
    );
    say();
    const inproc = await child('e2e.js', ['inproc', '-', cfg.inprocMB, cfg.runs], 300_000);
    const wall = inproc.core.map((ms, i) => ms / inproc.loop[i]);
    const cpu = inproc.coreCpu.map((ms, i) => ms / inproc.loopCpu[i]);
    say(
      `The same comparison with the server in the client's process (a ${fmt(inproc.megabytes)} MB stream, ${inproc.events} events, ${cfg.runs} alternating rounds in one process):`,
    );
    say();
    say('| client | median ms | min–max ms | median CPU ms (server + client) | min–max CPU ms |');
    say('|---|---|---|---|---|');
    say(
      `| client.invoke() | ${fmt(median(inproc.core))} | ${range(inproc.core)} | ${fmt(median(inproc.coreCpu))} | ${range(inproc.coreCpu)} |`,
    );
    say(
      `| minimal fetch + TextDecoder + split + JSON.parse loop | ${fmt(median(inproc.loop))} | ${range(inproc.loop)} | ${fmt(median(inproc.loopCpu))} | ${range(inproc.loopCpu)} |`,
    );
    say();
    say(
      `invoke() time ÷ loop time, per round: wall ${fmt(median(wall), 2)}× (${fmt(Math.min(...wall), 2)}–${fmt(Math.max(...wall), 2)}), CPU ${fmt(median(cpu), 2)}× (${fmt(Math.min(...cpu), 2)}–${fmt(Math.max(...cpu), 2)}). Target ≤ 1.05×.`,
    );
    say();

    const latency = await child('e2e.js', ['latency', server.url, 400, 5], 60_000);
    say('### 4. Latency: server write → subscriber');
    say();
    say(`${latency.samples} lines 5 ms apart on a warm connection, stamped with the server's monotonic clock.`);
    say();
    say('| p50 ms | p99 ms | max ms |');
    say('|---|---|---|');
    say(`| ${fmt(latency.p50, 3)} | ${fmt(latency.p99, 3)} | ${fmt(latency.max, 3)} |`);
    say();
    say('Targets: p50 < 1.5 ms, p99 < 5 ms.');
    say();

    const memoryRepeat = quick ? cfg.memoryRepeat : Math.ceil(1024 / mb);
    const memory = await child('e2e.js', ['memory', server.url, memoryRepeat], 600_000);
    say('### 5. Memory while streaming');
    say();
    say('| streamed | events | ms | RSS before | RSS growth |');
    say('|---|---|---|---|---|');
    say(
      `| ${fmt((mb * memoryRepeat) / 1024, 2)} GB | ${memory.events} | ${fmt(memory.ms)} | ${fmt(memory.baselineMB)} MB | ${fmt(memory.growthMB, 1)} MB |`,
    );
    say();
    say('Target: RSS growth under 64 MB for 1 GB.');
    say();
    return {
      core,
      loop,
      inproc,
      mbPerS: { invoke: total / (median(core) / 1000), loop: total / (median(loop) / 1000) },
      latency,
      memory,
    };
  } finally {
    await server.stop();
  }
}

async function concurrency() {
  const mock = await servePacedMock();
  try {
    const result = await child('e2e.js', ['concurrency', mock.url, cfg.concurrency], 120_000);
    say('### 6. Concurrency against the mock server');
    say();
    say('The mock server (its own process) paces each reply: 3 events, 100 ms apart, so every stream stays open.');
    say();
    say('| streams | completed | failed | events | wall ms | events/s | RSS per open stream |');
    say('|---|---|---|---|---|---|---|');
    say(
      `| ${result.streams} | ${result.completed} | ${result.failed} | ${result.events} | ${fmt(result.ms)} | ${fmt(result.events / (result.ms / 1000))} | ${fmt(result.perStreamKB)} KB |`,
    );
    say();
    if (result.firstError) say(`First error: ${result.firstError}`);
    return result;
  } finally {
    await mock.stop();
  }
}

/** The issue's targets against this run's figures. */
function targets({ decoder, hostile, e2e, concurrent, adapters, seen }) {
  const per = (a, b) => decoder.ms[a].map((ms, i) => ms / decoder.ms[b][i]);
  const long = hostile[`long:core`];
  const bytes = hostile[`bytes:core`];
  const invokeVsLoop = e2e.loop.map((ms, i) => ms / e2e.core[i]);
  const nestVsCore = adapters.nest.adapter.map((ms, i) => ms / adapters.nest.core[i]);
  const nestSessionVsCore = adapters.nest.session.map((ms, i) => ms / adapters.nest.core[i]);
  const nestRedisVsCore = adapters.nest.redis.map((ms, i) => ms / adapters.nest.core[i]);
  const n8nVs = (output, base) => {
    const r = adapters.n8n[output];
    return median(r.node.cpuMs.map((ms, i) => ms / r[base].cpuMs[i]));
  };
  const inprocCpu = median(e2e.inproc.coreCpu.map((ms, i) => ms / e2e.inproc.loopCpu[i]));
  const inprocWall = median(e2e.inproc.core.map((ms, i) => ms / e2e.inproc.loop[i]));
  const nestAdded = seen.latency.nest.p50 - seen.latency.core.p50;
  const c = seen.conversations;
  const keepAliveRatio = hostile['whitespace:core'].ms / hostile['blank:core'].ms;
  const rows = [
    [
      '1. decoder time ÷ floor',
      '≤ 1.10×',
      median(per('core', 'floor')) <= 1.1,
      `${fmt(median(per('core', 'floor')), 2)}×`,
    ],
    [
      '1. faster than ndjson',
      '≥ 1.8×',
      median(per('ndjson', 'core')) >= 1.8,
      `${fmt(median(per('ndjson', 'core')), 2)}×`,
    ],
    [
      '1. faster than split2',
      '≥ 1.8×',
      median(per('split2', 'core')) >= 1.8,
      `${fmt(median(per('split2', 'core')), 2)}×`,
    ],
    [
      `2. ${cfg.longMB} MB line, 1 KiB chunks`,
      '< 1 s, memory < 6× line',
      long.ms < 1000 && long.peakRssGrowthMB < 6 * cfg.longMB,
      `${fmt(long.ms)} ms, ${fmt(long.peakRssGrowthMB / cfg.longMB, 1)}×`,
    ],
    ['2. 2 MB in 1-byte chunks', '< 0.5 s', bytes.ms < 500, `${fmt(bytes.ms)} ms`],
    [
      '3. invoke() ÷ minimal loop throughput',
      '≥ 0.9×',
      median(invokeVsLoop) >= 0.9,
      `${fmt(median(invokeVsLoop), 2)}×`,
    ],
    [
      '4. latency',
      'p50 < 1.5 ms, p99 < 5 ms',
      e2e.latency.p50 < 1.5 && e2e.latency.p99 < 5,
      `p50 ${fmt(e2e.latency.p50, 2)} ms, p99 ${fmt(e2e.latency.p99, 2)} ms`,
    ],
    ['5. RSS growth streaming', '< 64 MB per GB', e2e.memory.growthMB < 64, `${fmt(e2e.memory.growthMB, 1)} MB`],
    [
      '6. concurrent streams',
      `all ${cfg.concurrency} complete`,
      concurrent.failed === 0,
      `${concurrent.completed} of ${concurrent.streams}`,
    ],
    ['7. NestJS adapter ÷ core time', '< 1.10×', median(nestVsCore) < 1.1, `${fmt(median(nestVsCore), 2)}×`],
    [
      '7. NestJS session turn (in-memory store) ÷ core time',
      '< 1.10×',
      median(nestSessionVsCore) < 1.1,
      `${fmt(median(nestSessionVsCore), 2)}×`,
    ],
    [
      '7. NestJS session turn (Redis session store) ÷ core time',
      '< 1.10×',
      median(nestRedisVsCore) < 1.1,
      `${fmt(median(nestRedisVsCore), 2)}×`,
    ],
    [
      '3. invoke() ÷ minimal loop, server in the same process',
      '≤ 1.05×',
      inprocWall <= 1.05 && inprocCpu <= 1.05,
      `wall ${fmt(inprocWall, 2)}×, CPU ${fmt(inprocCpu, 2)}×`,
    ],
    ...['events', 'reply'].map((output) => [
      `7. n8n node ÷ core CPU time, ${output === 'events' ? 'one item per event' : 'whole reply'}`,
      '≤ 1.10×',
      n8nVs(output, 'core') <= 1.1,
      `${fmt(n8nVs(output, 'core'), 2)}× (÷ core returning the same, ${output === 'events' ? '`toArray()`' : '`reply()`'}: ${fmt(n8nVs(output, N8N_SAME[output]), 2)}×)`,
    ]),
    [
      '2. 2 MB of whitespace-only keep-alive lines ÷ 2 MB of blank ones',
      '≤ 1.5×',
      keepAliveRatio <= 1.5,
      // Both inputs are 2 MB, of lines of different lengths: the ratio is of the times for the 2 MB.
      `${fmt(keepAliveRatio, 2)}× (${fmt(hostile['whitespace:core'].ms)} vs ${fmt(hostile['blank:core'].ms)} ms for the 2 MB)`,
    ],
    ['8. latency added by the Nest route, p50', '< 2 ms', nestAdded < 2, `${fmt(nestAdded, 3)} ms`],
    [
      `9. ${c.streams} conversations through Nest SSE`,
      'nothing lost',
      c.failed === 0,
      `${c.completed} of ${c.streams}, first event p99 ${fmt(c.firstEventP99)} ms`,
    ],
  ];
  rows.sort((a, b) => parseInt(a[0], 10) - parseInt(b[0], 10));
  say('### Targets');
  say();
  say('| measurement | target | this run | met |');
  say('|---|---|---|---|');
  for (const [name, target, met, value] of rows) say(`| ${name} | ${target} | ${value} | ${met ? 'yes' : '**no**'} |`);
  say();
}

async function adapterOverhead(file, mb) {
  const server = await serve([path.join(__dirname, 'server.js'), file]);
  try {
    const nest = await child('e2e.js', ['nest', server.url, 2, cfg.runs], 300_000);
    const n8n = {};
    for (const output of ['events', 'reply'])
      n8n[output] = await child('e2e.js', ['n8n', server.url, 2, cfg.runs, output], 600_000);
    const perEvent = (values, events) => (median(values) * 1000) / events;
    const per = (a, b) => a.map((ms, i) => ms / b[i]);
    const spread = (values) =>
      `${fmt(median(values), 2)}× (${fmt(Math.min(...values), 2)}–${fmt(Math.max(...values), 2)})`;
    say('### 7. Adapter overhead');
    say();
    say(
      `The same ${fmt(mb * 2)} MB stream (${nest.events} events), alternating with the bare core in one process, ${cfg.runs} rounds.`,
    );
    say();
    say('| path | median ms | min–max ms | µs per event | ÷ core, per round |');
    say('|---|---|---|---|---|');
    say(
      `| bare core, beside NestJS | ${fmt(median(nest.core))} | ${range(nest.core)} | ${fmt(perEvent(nest.core, nest.events), 2)} | |`,
    );
    say(
      `| ConnectlyService.invoke() (NestJS) | ${fmt(median(nest.adapter))} | ${range(nest.adapter)} | ${fmt(perEvent(nest.adapter, nest.events), 2)} | ${spread(per(nest.adapter, nest.core))} |`,
    );
    say(
      `| ConnectlyService.session().send(), in-memory session store | ${fmt(median(nest.session))} | ${range(nest.session)} | ${fmt(perEvent(nest.session, nest.events), 2)} | ${spread(per(nest.session, nest.core))} |`,
    );
    say(
      `| ConnectlyService.session().send(), Redis session store | ${fmt(median(nest.redis))} | ${range(nest.redis)} | ${fmt(perEvent(nest.redis, nest.events), 2)} | ${spread(per(nest.redis, nest.core))} |`,
    );
    say();
    say(
      'The Redis store is a real redis-server on a free loopback port, started for this section and stopped after it.',
    );
    say();
    say(
      "The n8n node runs over the same node:http transport that stands in for n8n's request helper, beside bare cores: one that lets each event go (`count()`), one that holds every event to the end (`toArray()`), as anything that returns the whole reply must, and for the whole reply the core's own `reply()`, which holds every event and gathers them into the same reply, its joined text included. The node is compared with the core letting events go, and with the core returning the same (every event for one item per event, `reply()` for the whole reply). Times are process CPU time, steadier than wall time on a shared machine; bytes are V8's sampled allocation (garbage included) and the heap still held when the call returns.",
    );
    say();
    say(
      '| path | median CPU ms | min–max CPU ms | median wall ms | bytes allocated per event | bytes held per event | CPU ÷ core | CPU ÷ core returning the same |',
    );
    say('|---|---|---|---|---|---|---|---|');
    for (const [output, label] of [
      ['events', 'one item per event'],
      ['reply', 'whole reply'],
    ]) {
      const r = n8n[output];
      const same = r[N8N_SAME[output]];
      for (const [name, row] of [
        ['bare core, letting events go', r.core],
        ['bare core, holding every event (`toArray()`)', r.collect],
        ...(r.reply ? [['bare core, the whole reply (`client.reply()`)', r.reply]] : []),
        [`n8n node execute(), ${label}`, r.node],
      ]) {
        const ratios =
          row === r.node ? [spread(per(r.node.cpuMs, r.core.cpuMs)), spread(per(r.node.cpuMs, same.cpuMs))] : ['', ''];
        say(
          `| ${name} | ${fmt(median(row.cpuMs))} | ${range(row.cpuMs)} | ${fmt(median(row.ms))} | ${fmt(row.bytesPerEvent)} | ${fmt(Math.max(0, row.heldBytesPerEvent))} | ${ratios[0]} | ${ratios[1]} |`,
        );
      }
    }
    say();
    return { nest, n8n };
  } finally {
    await server.stop();
  }
}

/** The n8n leg of the latency table: a real n8n serving the streaming chat example (bench/n8n-screen.js). */
async function n8nLatency(file, gap) {
  if (quick) return { skipped: 'not measured in --quick (it starts a real n8n)' };
  const stream = await serve([path.join(__dirname, 'server.js'), file]);
  try {
    return await child('n8n-screen.js', [stream.url, cfg.latencyLines, gap], 900_000);
  } finally {
    await stream.stop();
  }
}

/** What the user's screen sees: latency through the Nest SSE route (and n8n), and 1,000 conversations at once. */
async function screen(file) {
  const stream = await serve([path.join(__dirname, 'server.js'), file]);
  const gap = 5;
  let nest;
  let latency;
  try {
    nest = await serve([path.join(__dirname, 'nest-app.js'), `${stream.url}/latency/${cfg.latencyLines}/${gap}`]);
    latency = await child(
      'screen.js',
      ['latency', stream.url, nest.url, cfg.latencyLines, gap, quick ? 1 : 2],
      300_000,
    );
  } finally {
    await nest?.stop();
    await stream.stop();
  }
  const n8n = await n8nLatency(file, gap);
  say('### 8. Latency to the screen');
  say();
  say(
    `Server writes a stamped line (${cfg.latencyLines} lines ${gap} ms apart per request, ${latency.samples} lines per path in all, warm connections) → it arrives at the core subscriber; at a browser-like fetch reader of the Nest \`toSse\` route (its own process, upstream the same server); at the HTTP client of an n8n streaming webhook. Added = the path's percentile minus the core's.`,
  );
  say();
  say('| arrives at | p50 ms | p99 ms | max ms | added p50 ms | added p99 ms |');
  say('|---|---|---|---|---|---|');
  const row = (label, r) =>
    say(
      `| ${label} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.max, 3)} | ${r === latency.core ? '' : fmt(r.p50 - latency.core.p50, 3)} | ${r === latency.core ? '' : fmt(r.p99 - latency.core.p99, 3)} |`,
    );
  row('core subscriber (`client.invoke()`)', latency.core);
  row('Nest `toSse` route, fetch reader', latency.nest);
  if (n8n.skipped) say(`| n8n streaming webhook | ${n8n.skipped} | | | | |`);
  else row('n8n 2.41 streaming webhook (regular mode)', n8n);
  say();
  say('Target: the Nest route adds under 2 ms at p50.');
  say();

  const mock = await servePacedMock();
  let app;
  let conversations;
  try {
    app = await serve([path.join(__dirname, 'nest-app.js'), mock.url]);
    conversations = await child('screen.js', ['concurrency', mock.url, app.url, cfg.nestStreams], 300_000);
  } finally {
    await app?.stop();
    await mock.stop();
  }
  const c = conversations;
  say('### 9. Conversations at once through the Nest SSE route');
  say();
  say(
    `${c.streams} customers' first turns opened together, each a fetch reader of a Nest SSE route (its own process) that runs \`ConnectlyService.session().send()\` in the in-memory session store, so each starts its session and then streams the turn; the mock server (its own process) paces each reply: ${c.eventsPerStream} events, 100 ms apart. The same first turns straight from the core (\`client.session().send()\`) first, as the baseline.`,
  );
  say();
  say(
    '| streams | completed | failed | first event p50 ms | first event p99 ms | core alone: first event p50 / p99 ms | Nest RSS per open stream | Nest CPU per conversation |',
  );
  say('|---|---|---|---|---|---|---|---|');
  say(
    `| ${c.streams} | ${c.completed} | ${c.failed} | ${fmt(c.firstEventP50)} | ${fmt(c.firstEventP99)} | ${fmt(c.coreFirstEventP50)} / ${fmt(c.coreFirstEventP99)} | ${fmt(c.perStreamKB)} KB | ${fmt(c.nestCpuMsPerStream, 2)} ms |`,
  );
  say();
  if (c.firstError) say(`First error: ${c.firstError}`);
  say('Target: every conversation receives every event and the done event.');
  say();
  return { latency, n8n, conversations };
}

function svg(decoder, e2e) {
  const bars = [
    ...['floor', 'core', ...PEERS].map((a) => [
      LABEL[a],
      decoder.mbPerS[a],
      a === 'core' ? '#1f7a4d' : a === 'floor' ? '#888' : '#c0623b',
    ]),
    ['client.invoke() end to end, loopback', e2e.mbPerS.invoke, '#1f7a4d'],
    ['fetch + split + JSON.parse loop, loopback', e2e.mbPerS.loop, '#888'],
  ];
  const max = Math.max(...bars.map((b) => b[1]));
  const rowHeight = 34;
  const left = 330;
  const width = 820;
  const height = 60 + bars.length * rowHeight;
  const rows = bars
    .map(([label, value, colour], i) => {
      const y = 40 + i * rowHeight;
      const w = Math.max(2, ((width - left - 80) * value) / max);
      return `<text x="${left - 10}" y="${y + 17}" text-anchor="end">${label}</text><rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="20" fill="${colour}"/><text x="${left + w + 6}" y="${y + 19}">${value.toFixed(0)} MB/s</text>`;
    })
    .join('\n  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">
  <text x="10" y="22" font-size="15" font-weight="bold">NDJSON decoding throughput on ${os.cpus().length} vCPU, Node ${process.version} (higher is better)</text>
  ${rows}
</svg>
`;
}

/**
 * The figures BENCHMARKS.md's prose quotes from this run (see lib/slots.js), computed from the same
 * rounded values its tables print, so a sentence and a table never disagree.
 */
function proseFigures({ nest, n8n }, elapsedMs) {
  const cpu = (row) => Math.round(median(row.cpuMs));
  const heldKB = (row) => fmt(Math.round(Math.max(0, row.heldBytesPerEvent)) / 1000, 1);
  const holdCosts = ['events', 'reply'].map((output) => cpu(n8n[output].collect) / cpu(n8n[output].core));
  return {
    'bench.minutes': String(Math.max(1, Math.round(elapsedMs / 60_000))),
    'adapters.events': `${Math.round(nest.events / 1000)}k`,
    'adapters.holdCost': `${fmt(Math.min(...holdCosts), 1)}–${fmt(Math.max(...holdCosts), 1)}×`,
    'adapters.collectHeldKB': heldKB(n8n.events.collect),
    'adapters.nodeHeldKB': heldKB(n8n.reply.node),
    'adapters.replyHeldKB': heldKB(n8n.reply.reply),
  };
}

const SHORT_ROWS = [
  ['invoke:default', '`client.invoke()`'],
  ['send:default', '`client.session({clientKey}).send()` (memory store)'],
  ['invoke:fetch', '`client.invoke()`, `fetch: globalThis.fetch`'],
  ['send:fetch', '`client.session({clientKey}).send()`, `fetch: globalThis.fetch`'],
  ['invoke@baseline:default', '`client.invoke()`, baseline build'],
  ['send@baseline:default', '`client.session({clientKey}).send()`, baseline build'],
  ['bare:fetch', 'bare `fetch` + TextDecoder + split + JSON.parse loop'],
  ['bare:undici', 'bare `undici.request()` + TextDecoder + split + JSON.parse loop'],
];

/** Short chat turns: a 3-event reply from a server in another process, 16 turns in flight, one client process. */
async function shortTurns() {
  const server = await serve([path.join(__dirname, 'server.js')]);
  let result;
  try {
    const args = [server.url, cfg.shortTurns, cfg.shortRounds, 16, ...(baseline ? ['--baseline', baseline] : [])];
    result = await child('short-turns.js', args, 1_800_000);
  } finally {
    await server.stop();
  }
  const floor = result.approaches['bare:undici'].cpuUs;
  say('### 10. Short turns');
  say();
  say(
    `A server in another process answers every turn with a 3-event reply (a text, a product, suggestions); ${result.inFlight} turns in flight, ${result.turns} turns per approach per round, ${result.rounds} rounds alternating the approaches in one client process (after a warm-up round). CPU = the client process's user + system time per turn. × undici = CPU per turn over the bare \`undici.request()\` loop's in the same round (median, min–max).`,
  );
  say();
  say('| per short turn (client process) | CPU µs | min–max | turns/s | × undici CPU |');
  say('|---|---|---|---|---|');
  const ratios = {};
  for (const [name, label] of SHORT_ROWS) {
    const row = result.approaches[name];
    if (!row) continue;
    ratios[name] = row.cpuUs.map((value, i) => value / floor[i]);
    say(
      `| ${label} | ${fmt(median(row.cpuUs))} | ${range(row.cpuUs)} | ${fmt(median(row.turnsPerSec))} | ${fmt(median(ratios[name]), 2)} (${fmt(Math.min(...ratios[name]), 2)}–${fmt(Math.max(...ratios[name]), 2)}) |`,
    );
  }
  say();
  say(
    `Targets: \`invoke()\` ≤ 1.3× the bare undici loop's CPU (${fmt(median(ratios['invoke:default']), 2)}×), \`session().send()\` ≤ 1.5× (${fmt(median(ratios['send:default']), 2)}×).`,
  );
  say();
  return { ...result, ratios };
}

/**
 * Long streams in one client process: invoke() and the plainest fetch loop a user would write, alternating
 * rounds in the same process, against the stream server in its own (so the CPU measured is the client's).
 */
async function longStreams(file, mb) {
  const server = await serve([path.join(__dirname, 'server.js'), file]);
  let r;
  try {
    r = await child('e2e.js', ['side', server.url, cfg.sideRepeat, cfg.sideRounds], 600_000);
  } finally {
    await server.stop();
  }
  const total = mb * cfg.sideRepeat;
  const cpu = r.core.cpuMs.map((ms, i) => ms / r.loop.cpuMs[i]);
  const wall = r.core.ms.map((ms, i) => ms / r.loop.ms[i]);
  const ratio = (values) =>
    `${fmt(median(values), 2)}× (${fmt(Math.min(...values), 2)}–${fmt(Math.max(...values), 2)})`;
  say('### Long streams in one client process');
  say();
  say(
    `A server process streams ${fmt(total)} MB of the corpus (${r.events} events) in 64 KiB writes; one client process alternates \`client.invoke()\` (the default transport) and the plainest loop a user would write, ${cfg.sideRounds} rounds after a warm-up. CPU = the client process's user + system time.`,
  );
  say();
  say('| client | median ms | min–max ms | median client CPU ms | min–max CPU ms |');
  say('|---|---|---|---|---|');
  say(
    `| \`client.invoke()\` | ${fmt(median(r.core.ms))} | ${range(r.core.ms)} | ${fmt(median(r.core.cpuMs))} | ${range(r.core.cpuMs)} |`,
  );
  say(
    `| bare \`fetch\` + TextDecoder + split + JSON.parse loop | ${fmt(median(r.loop.ms))} | ${range(r.loop.ms)} | ${fmt(median(r.loop.cpuMs))} | ${range(r.loop.cpuMs)} |`,
  );
  say();
  say(`invoke() ÷ the loop, per round: CPU ${ratio(cpu)}, wall ${ratio(wall)}. Target ≤ 1.0×.`);
  say();
  return { ...r, cpuRatio: median(cpu), wallRatio: median(wall) };
}

/**
 * Thousands of customers' first turns at once through one Nest process (the SSE route of
 * ConnectlyService.session() in the in-memory store), the mock server pacing each reply so they stay open.
 */
async function nestMany() {
  const PACING_MS = 2000;
  const PER_TICK = 20; // customers arriving every 10 ms: 2,000 a second
  // Inbound and outbound sockets share the Nest process's file descriptors (ulimit -n): the client's
  // pool is capped below what is left once every customer is connected.
  const limit = Number(process.env.CONNECTLY_BENCH_FD_LIMIT ?? 20_000);
  const connections = Math.max(64, Math.min(cfg.manyStreams, limit - cfg.manyStreams - 6000));
  const mock = await serve([
    path.join(__dirname, '..', 'packages', 'mock-server', 'dist', 'bin.js'),
    '--port',
    '0',
    '--pacing-ms',
    String(PACING_MS),
  ]);
  let app;
  let r;
  try {
    app = await serve(['--expose-gc', path.join(__dirname, 'nest-app.js'), mock.url, String(connections)]);
    r = await child('screen.js', ['many', app.url, cfg.manyStreams, PER_TICK], 900_000);
  } finally {
    await app?.stop();
    await mock.stop();
  }
  say(`### ${fmt(r.streams)} conversations at once through one Nest process`);
  say();
  say(
    `${fmt(r.streams)} customers' first turns through the Nest SSE route of \`ConnectlyService.session().send()\` (in-memory session store; bench/nest-app.js, its own process), opened ${PER_TICK} every 10 ms by one client process reading them as a browser would; the mock server (its own process) paces each reply: ${r.eventsPerStream} events, ${PACING_MS} ms apart, so the conversations stay open together. The Nest client's pool is capped at ${fmt(connections)} connections, so inbound and outbound sockets fit the process's ${fmt(limit)} file descriptors. Memory per open stream: the Nest process's peak RSS growth ÷ the most streams open at once, and its heap growth after a full GC once every stream was opened ÷ the streams open then.`,
  );
  say();
  say(
    '| conversations | completed | lost | most open at once | first event p50 ms | first event p99 ms | peak RSS per open stream | heap per open stream (after GC) | Nest CPU per conversation |',
  );
  say('|---|---|---|---|---|---|---|---|---|');
  say(
    `| ${r.streams} | ${r.completed} | ${r.failed} | ${r.peakOpen} | ${fmt(r.firstEventP50)} | ${fmt(r.firstEventP99)} | ${fmt(r.peakRssPerStreamKB)} KB | ${r.heapPerOpenStreamKB === undefined ? 'n/a' : `${fmt(r.heapPerOpenStreamKB)} KB`} | ${fmt(r.nestCpuMsPerStream, 2)} ms |`,
  );
  say();
  if (r.firstError)
    say(
      `Errors: ${Object.entries(r.errors)
        .map(([text, times]) => `${times} × ${text}`)
        .join('; ')}.`,
    );
  say('Target: every conversation receives every event and the done event (0 lost).');
  say();
  return r;
}

/** Resumable replies: resume latency, the cost to the screen, slow clients at the cap, a finished turn in Redis. */
async function resumable() {
  const started = Date.now();
  const load = os.loadavg()[0];
  const r = await child('resumable.js', quick ? ['--quick'] : [], 300_000);
  if (r.timedOut) throw new Error('bench/resumable.js took over 5 minutes');
  const ms = (value) => fmt(value, 1);
  const lines = [
    `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} vCPU, Node ${process.version}, load average ${fmt(load, 1)} at the start, ${fmt(os.loadavg()[0], 1)} at the end (the machine is shared with other work). Mode: ${quick ? 'quick' : 'full'}.`,
    '',
    `Two Nest replicas (processes) sharing one redis-server, the mock Connectly server in the bench process, all on loopback. Resume: a fresh connection to the replica not running the turn, \`Last-Event-ID: 1\`, until the first replayed event (${r.resume.live.n} resumes each, one after another).`,
    '',
    '| resume (reconnect → first replayed event) | resumes | p50 ms | p99 ms |',
    '|---|---|---|---|',
    `| a live turn (the agent paused after 3 events) | ${r.resume.live.n} | ${ms(r.resume.live.p50)} | ${ms(r.resume.live.p99)} |`,
    `| a finished turn, within its retention | ${r.resume.finished.n} | ${ms(r.resume.finished.p50)} | ${ms(r.resume.finished.p99)} |`,
    '',
    `First event on screen: a customer's first turn (the session started, then the turn) from the request to its first event, ${r.screen.n} turns per route, alternating, on a kept-alive connection. Resumable: \`POST /turns\`, then \`GET /turns/:turnId/events\`; plain: one \`toSse()\` route.`,
    '',
    '| route | turns | p50 ms | p99 ms |',
    '|---|---|---|---|',
    `| plain \`toSse()\` | ${r.screen.n} | ${ms(r.screen.plain.p50)} | ${ms(r.screen.plain.p99)} |`,
    `| resumable (start + events) | ${r.screen.n} | ${ms(r.screen.resumable.p50)} | ${ms(r.screen.resumable.p99)} |`,
    `| added by resumable | | ${ms(r.screen.resumable.p50 - r.screen.plain.p50)} | ${ms(r.screen.resumable.p99 - r.screen.plain.p99)} |`,
    '',
    `Slow clients: connections that stop reading, on the replica serving them. Parked: ${r.parked.readers} readers of a live ${fmt(r.parked.replyKB / 1024, 1)} MB reply the agent paused, enough to fill their sockets' buffers and queue some events, under the cap, in the replica; its memory after a full GC, before and after they connect, ÷ readers. At the cap: ${r.slow.readers} readers of a finished ${fmt((500 * 32_000) / 1e6)} MB reply, each dropped once more than the route's cap (256 KiB) waits for it; the replica's peak memory over its level before, ÷ readers (the peak heap counts garbage not yet collected). Received: what each got once it read again (for the dropped ones: what its sockets' buffers held).`,
    '',
    '| slow readers | readers | dropped at the cap | RSS growth per reader | heap growth per reader | received per reader |',
    '|---|---|---|---|---|---|',
    `| parked under the cap, after GC | ${r.parked.readers} | ${r.parked.dropped} | ${fmt(r.parked.rssPerReaderKB)} KB | ${fmt(r.parked.heapPerReaderKB)} KB | ${fmt(r.parked.receivedPerReaderKB)} KB |`,
    `| filling to the cap, peak | ${r.slow.readers} | ${r.slow.dropped} | ${fmt(r.slow.rssPerReaderKB)} KB | ${fmt(r.slow.heapPerReaderKB)} KB | ${fmt(r.slow.receivedPerReaderKB)} KB |`,
    '',
    `Redis per finished turn (the mock's demo reply, read to its end), during its retention: \`INFO memory\` used_memory growth over ${r.retained.turns} turns ÷ turns (the customer's session record included), and \`MEMORY USAGE\` of the keys one finished turn leaves.`,
    '',
    "| turns | used_memory growth per turn | MEMORY USAGE of one turn's keys |",
    '|---|---|---|',
    `| ${r.retained.turns} | ${fmt(r.retained.usedMemoryPerTurnB)} B | ${fmt(r.retained.keysOfOneTurnB)} B (${r.retained.keys} keys) |`,
    '',
    `Bench time: ${fmt((Date.now() - started) / 1000)} s.`,
  ];
  say('### Resumable replies');
  say();
  for (const line of lines) say(line);
  say();
  return { ...r, lines };
}

/** Runs one section alone; with --write its lines replace its block of BENCHMARKS.md. */
async function alone(name, run) {
  say(
    `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} vCPU, Node ${process.version}, load average ${fmt(os.loadavg()[0], 1)} at the start. Mode: ${quick ? 'quick' : 'full'}.`,
  );
  say();
  const from = lines.length;
  const result = await run();
  say(`Load average ${fmt(os.loadavg()[0], 1)} at the end.`);
  if (write) writeBlock(name, lines.slice(from, -1));
  return result;
}

async function main() {
  if (only === 'long-streams') {
    const { buffer } = makeCorpus(cfg.corpusMB);
    const file = path.join(os.tmpdir(), `connectly-bench-corpus-${cfg.corpusMB}.ndjson`);
    fs.writeFileSync(file, buffer);
    try {
      await alone('long-streams', () => longStreams(file, buffer.length / 1048576));
    } finally {
      fs.rmSync(file, { force: true });
    }
    return;
  }
  if (only === 'nest-10k') {
    await alone('nest-10k', nestMany);
    return;
  }
  if (only === 'resumable') {
    const result = await resumable();
    if (write) writeBlock('resumable', result.lines);
    return;
  }
  if (only === 'short-turns') {
    const short = await alone('short-turns', shortTurns);
    fs.writeFileSync(path.join(__dirname, 'short-turns.json'), `${JSON.stringify(short, null, 2)}\n`);
    return;
  }
  if (only !== undefined) {
    throw new Error(`--only takes short-turns, long-streams, nest-10k or resumable, got ${only}`);
  }
  const started = Date.now();
  const { buffer, events } = makeCorpus(cfg.corpusMB);
  const file = path.join(os.tmpdir(), `connectly-bench-corpus-${cfg.corpusMB}.ndjson`);
  fs.writeFileSync(file, buffer);
  const mb = buffer.length / 1048576;
  try {
    say(
      `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} vCPU, ${fmt(os.totalmem() / 1073741824)} GB, Node ${process.version}, load average ${fmt(os.loadavg()[0], 1)} at the start. Mode: ${quick ? 'quick' : 'full'}.`,
    );
    say(
      `Corpus: ${fmt(mb, 1)} MB, ${events} events, seeded; log-uniform chunks of 1 B – 64 KiB; ${cfg.runs} interleaved rounds, each in a fresh process.`,
    );
    say();
    const decoder = await decoderThroughput(file, mb);
    const hostile = await hostileInputs();
    const e2e = await endToEnd(file, mb);
    const concurrent = await concurrency();
    const adapters = await adapterOverhead(file, mb);
    const seen = await screen(file);
    const short = await shortTurns();
    const resumes = await resumable();
    targets({ decoder, hostile, e2e, concurrent, adapters, seen });
    say(
      `Total bench time: ${fmt((Date.now() - started) / 1000)} s; load average ${fmt(os.loadavg()[0], 1)} at the end.`,
    );
    const results = {
      date: new Date().toISOString(),
      quick,
      cfg,
      decoder,
      hostile,
      e2e,
      concurrent,
      adapters,
      seen,
      short,
      resumable: resumes,
    };
    fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (write) {
      fs.writeFileSync(path.join(__dirname, 'throughput.svg'), svg(decoder, e2e));
      const updated = replaceBlock(fs.readFileSync(BENCHMARKS, 'utf8'), 'figures', lines);
      fs.writeFileSync(BENCHMARKS, fillSlots(updated, proseFigures(adapters, Date.now() - started)));
      writeBlock('resumable', resumes.lines);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
