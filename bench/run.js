#!/usr/bin/env node
// npm run bench [-- --quick] [-- --write]: every benchmark of the core, each measurement in a fresh
// process, rounds interleaved so a noisy neighbour hits all approaches alike; medians with min–max.
// --write also rewrites BENCHMARKS.md's figures and bench/throughput.svg from this run.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { makeCorpus } = require('./lib/corpus');
const { child, median, fmt } = require('./lib/stats');

const quick = process.argv.includes('--quick');
const write = process.argv.includes('--write');
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
    };
const PEERS = ['openai', 'ndjson', 'split2'];
const LABEL = {
  core: 'connectly-agent-graph AgentEventDecoder',
  floor: 'floor: TextDecoder + JSON.parse, lines pre-split',
  openai: 'openai 7.55 LineDecoder + JSON.parse',
  ndjson: 'ndjson 2.0.0 (split2 3 + JSON.parse)',
  split2: 'split2 4.2.0 + guarded JSON.parse',
};

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
      mbPerS: { invoke: total / (median(core) / 1000), loop: total / (median(loop) / 1000) },
      latency,
      memory,
    };
  } finally {
    await server.stop();
  }
}

async function concurrency() {
  const mock = await serve([
    path.join(__dirname, '..', 'packages', 'mock-server', 'dist', 'bin.js'),
    '--port',
    '0',
    '--pacing-ms',
    '100',
  ]);
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

/** The targets against this run's figures. */
function targets({ decoder, hostile, e2e, concurrent, adapters }) {
  const per = (a, b) => decoder.ms[a].map((ms, i) => ms / decoder.ms[b][i]);
  const long = hostile[`long:core`];
  const bytes = hostile[`bytes:core`];
  const invokeVsLoop = e2e.loop.map((ms, i) => ms / e2e.core[i]);
  const nestVsCore = adapters.nest.adapter.map((ms, i) => ms / adapters.nest.core[i]);
  const n8nVsCore = adapters.n8n.adapter.map((ms, i) => ms / adapters.n8n.core[i]);
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
    ['7. n8n node ÷ core time', '< 1.10×', median(n8nVsCore) < 1.1, `${fmt(median(n8nVsCore), 2)}×`],
  ];
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
    const n8n = await child('e2e.js', ['n8n', server.url, 2, cfg.runs], 300_000);
    const perEvent = (result, values) => (median(values) * 1000) / result.events;
    const ratio = (result) => result.adapter.map((ms, i) => ms / result.core[i]);
    say('### 7. Adapter overhead');
    say();
    say(
      `The same ${fmt(mb * 2)} MB stream (${nest.events} events), alternating with the bare core in one process, ${cfg.runs} rounds.`,
    );
    say(
      "The n8n node is compared with the core over the same node:http transport that stands in for n8n's request helper.",
    );
    say();
    say('| path | median ms | min–max ms | µs per event | ÷ core, per round |');
    say('|---|---|---|---|---|');
    for (const [name, result] of [
      ['ConnectlyService.invoke() (NestJS)', nest],
      ['n8n node execute(), one item per event', n8n],
    ]) {
      const ratios = ratio(result);
      say(
        `| bare core, beside ${name.split(' ')[0]} | ${fmt(median(result.core))} | ${range(result.core)} | ${fmt(perEvent(result, result.core), 2)} | |`,
      );
      say(
        `| ${name} | ${fmt(median(result.adapter))} | ${range(result.adapter)} | ${fmt(perEvent(result, result.adapter), 2)} | ${fmt(median(ratios), 2)}× (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}) |`,
      );
    }
    say();
    return { nest, n8n };
  } finally {
    await server.stop();
  }
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

async function main() {
  const started = Date.now();
  const { buffer, events } = makeCorpus(cfg.corpusMB);
  const file = path.join(os.tmpdir(), `connectly-bench-corpus-${cfg.corpusMB}.ndjson`);
  fs.writeFileSync(file, buffer);
  const mb = buffer.length / 1048576;
  try {
    say(
      `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} vCPU, ${fmt(os.totalmem() / 1073741824)} GB, Node ${process.version}. Mode: ${quick ? 'quick' : 'full'}.`,
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
    targets({ decoder, hostile, e2e, concurrent, adapters });
    say(`Total bench time: ${fmt((Date.now() - started) / 1000)} s.`);
    const results = { date: new Date().toISOString(), quick, cfg, decoder, hostile, e2e, concurrent, adapters };
    fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (write) {
      fs.writeFileSync(path.join(__dirname, 'throughput.svg'), svg(decoder, e2e));
      const doc = path.join(__dirname, '..', 'BENCHMARKS.md');
      const text = fs.readFileSync(doc, 'utf8');
      const begin = '<!-- figures:begin -->';
      const end = '<!-- figures:end -->';
      const updated = `${text.slice(0, text.indexOf(begin) + begin.length)}\n${lines.join('\n')}\n${text.slice(text.indexOf(end))}`;
      fs.writeFileSync(doc, updated);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
