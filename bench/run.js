#!/usr/bin/env node
// npm run bench [-- --quick]: the core's decoding path (bytes in, typed events out) against the floor
// (TextDecoder + JSON.parse on lines already split), on a seeded corpus that looks like agent traffic,
// plus the two hostile inputs that make quadratic splitters stall. Ratios are taken in the same run.
'use strict';

const { performance } = require('node:perf_hooks');
const { AgentEventDecoder, LineDecoder } = require('../packages/agent-graph/dist');

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const CORPUS_MB = quick ? 16 : 64;

/** A small seeded generator (xorshift32), so every run sees the same corpus and chunking. */
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const WORDS = ['gift', 'scarf', 'candle', 'order', 'delivery', 'size', 'colour', 'return', 'store', 'price'];
const NON_ASCII = ['crème', 'brûlée', 'Olá', 'naïve', '日本語', '👋', 'über', 'São Paulo'];

function sentence(rand, words) {
  const out = [];
  for (let i = 0; i < words; i += 1) {
    out.push(
      rand() < 0.06 ? NON_ASCII[Math.floor(rand() * NON_ASCII.length)] : WORDS[Math.floor(rand() * WORDS.length)],
    );
  }
  return out.join(' ');
}

/** Mostly 200 B – 2 KB message events, ~1% product lists of 30–50 KB, keep-alive blank lines. */
function corpus(megabytes) {
  const rand = random(20261121);
  const lines = [];
  let bytes = 0;
  let events = 0;
  while (bytes < megabytes * 1024 * 1024) {
    let event;
    if (rand() < 0.01) {
      const products = [];
      for (let i = 0; i < 80 + Math.floor(rand() * 50); i += 1) {
        products.push({
          productId: `sku-${i}`,
          title: sentence(rand, 4),
          description: sentence(rand, 25),
          url: `https://shop.example.com/p/${i}`,
          price: Math.round(rand() * 10000) / 100,
          currency: 'USD',
        });
      }
      event = { recommendationEvent: { products } };
    } else {
      event = {
        messageEvent: {
          role: 'ASSISTANT',
          content: { textContent: { text: sentence(rand, 25 + Math.floor(rand() * 280)) } },
          createdAt: '2026-11-21T10:00:00.000Z',
        },
      };
    }
    const line = JSON.stringify({
      result: { response: { sessionId: 'b6bed81c-5fda-486d-b96c-1ff3af36219a', responseEvents: [event] } },
    });
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
    events += 1;
    if (rand() < 0.02) lines.push('');
  }
  return { buffer: Buffer.from(lines.join('\n') + '\n'), events };
}

/** Zero-copy chunks of log-uniform random size between 1 B and 64 KiB. */
function chunk(buffer, seed) {
  const rand = random(seed);
  const chunks = [];
  for (let offset = 0; offset < buffer.length;) {
    const size = Math.max(1, Math.round(Math.exp(rand() * Math.log(65536))));
    chunks.push(buffer.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeIt(fn) {
  const started = performance.now();
  const result = fn();
  return { ms: performance.now() - started, result };
}

function core(chunks) {
  let count = 0;
  const decoder = new AgentEventDecoder({
    event: () => (count += 1),
    error: () => {
      throw new Error('unexpected error line');
    },
  });
  for (const piece of chunks) decoder.write(piece);
  decoder.end();
  return count;
}

function floor(lines) {
  const decoder = new TextDecoder();
  let count = 0;
  for (const bytes of lines) {
    const value = JSON.parse(decoder.decode(bytes));
    count += value.result.response.responseEvents.length;
  }
  return count;
}

function splitLines(buffer) {
  const lines = [];
  for (let start = 0, end = buffer.indexOf(10); end !== -1; start = end + 1, end = buffer.indexOf(10, start)) {
    if (end > start) lines.push(buffer.subarray(start, end));
  }
  return lines;
}

function hostile(totalBytes, chunkSize) {
  const piece = Buffer.alloc(chunkSize, 0x78);
  let length = 0;
  const decoder = new LineDecoder((line) => (length = line.length), { maxLineLength: Infinity });
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const { ms } = timeIt(() => {
    for (let written = 0; written < totalBytes; written += chunkSize) {
      decoder.write(piece);
      if (written % (4 * 1024 * 1024) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    decoder.write(Buffer.from('\n'));
    decoder.end();
  });
  peak = Math.max(peak, process.memoryUsage().rss);
  if (length !== totalBytes) throw new Error(`hostile input: expected a ${totalBytes}-byte line, got ${length}`);
  return { ms, peakGrowthMB: (peak - rssBefore) / 1048576 };
}

function main() {
  const { buffer, events } = corpus(CORPUS_MB);
  const chunks = chunk(buffer, 7);
  const lines = splitLines(buffer);
  const mb = buffer.length / 1048576;
  console.log(
    `Node ${process.version}, corpus ${mb.toFixed(1)} MB, ${events} events, ${chunks.length} chunks (1 B – 64 KiB), ${RUNS} runs`,
  );

  core(chunks);
  floor(lines);
  const coreMs = [];
  const floorMs = [];
  for (let run = 0; run < RUNS; run += 1) {
    const a = timeIt(() => core(chunks));
    const b = timeIt(() => floor(lines));
    if (a.result !== events || b.result !== events) throw new Error('event counts differ');
    coreMs.push(a.ms);
    floorMs.push(b.ms);
  }
  const ratios = coreMs.map((ms, i) => ms / floorMs[i]);
  const row = (name, values) =>
    `| ${name} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} | ${(mb / (median(values) / 1000)).toFixed(0)} |`;
  console.log('\n| path | median ms | min–max ms | MB/s |\n|---|---|---|---|');
  console.log(row('core AgentEventDecoder (chunks → typed events)', coreMs));
  console.log(row('floor: TextDecoder + JSON.parse on split lines', floorMs));
  console.log(
    `\ncore / floor time: median ${median(ratios).toFixed(2)}× (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})`,
  );

  const long = hostile(quick ? 16 * 1048576 : 50 * 1048576, 1024);
  const tiny = hostile(2 * 1048576, 1);
  console.log('\n| hostile input | ms | peak RSS growth |\n|---|---|---|');
  console.log(
    `| ${quick ? 16 : 50} MB single line in 1 KiB chunks | ${long.ms.toFixed(0)} | ${long.peakGrowthMB.toFixed(0)} MB |`,
  );
  console.log(`| 2 MB line in 1-byte chunks | ${tiny.ms.toFixed(0)} | ${tiny.peakGrowthMB.toFixed(0)} MB |`);
}

main();
