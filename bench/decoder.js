// One decoding measurement in a fresh process: node bench/decoder.js <approach> <input> <arg>
//   approach: core | floor | openai | ndjson | split2
//   input:    corpus <file> | long <MB> (one line, 1 KiB chunks) | bytes <MB> (one line, 1-byte chunks)
//             | blank <MB> | whitespace <MB> (keep-alive lines only, 16 KiB chunks)
// Prints one JSON line: { ms, events, bytes, peakRssGrowthMB }.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { AgentEventDecoder } = require('../packages/agent-graph/dist');
const { chunkLogUniform, splitLines, longLine } = require('./lib/corpus');

const [approach, input, arg] = process.argv.slice(2);

function countEvents(value) {
  return value.result.response.responseEvents.length;
}

/** Each approach consumes a list of chunks through its natural API and resolves with the event count. */
const approaches = {
  core(chunks) {
    let events = 0;
    const decoder = new AgentEventDecoder(
      {
        event: () => (events += 1),
        error: () => {
          throw new Error('unexpected error line');
        },
      },
      { maxLineLength: Infinity },
    );
    for (const chunk of chunks) decoder.write(chunk);
    decoder.end();
    return events;
  },
  openai(chunks) {
    const dir = path.dirname(require.resolve('openai'));
    const { LineDecoder } = require(path.join(dir, 'internal', 'decoders', 'line.js'));
    const decoder = new LineDecoder();
    let events = 0;
    for (const chunk of chunks) {
      for (const line of decoder.decode(chunk)) if (line) events += countEvents(JSON.parse(line));
    }
    for (const line of decoder.flush()) if (line) events += countEvents(JSON.parse(line));
    return events;
  },
  ndjson(chunks) {
    const ndjson = require('ndjson');
    let events = 0;
    return pump(ndjson.parse({ strict: true }), chunks, (value) => (events += countEvents(value))).then(() => events);
  },
  split2(chunks) {
    const split2 = require('split2');
    let events = 0;
    return pump(split2(), chunks, (line) => {
      if (line) events += countEvents(JSON.parse(line));
    }).then(() => events);
  },
};

/** Writes the chunks into a Node transform stream, with backpressure, until it ends. */
function pump(stream, chunks, onData) {
  return new Promise((resolve, reject) => {
    stream.on('data', onData);
    stream.on('error', reject);
    stream.on('end', resolve);
    let index = 0;
    const next = () => {
      while (index < chunks.length) if (!stream.write(chunks[index++])) return void stream.once('drain', next);
      stream.end();
    };
    next();
  });
}

function fixedChunks(buffer, size) {
  const chunks = [];
  for (let offset = 0; offset < buffer.length; offset += size) chunks.push(buffer.subarray(offset, offset + size));
  return chunks;
}

async function main() {
  let buffer;
  let chunks;
  if (input === 'corpus') {
    buffer = fs.readFileSync(arg);
    chunks = chunkLogUniform(buffer);
  } else if (input === 'blank' || input === 'whitespace') {
    const unit = input === 'blank' ? '\n' : ' \n \r\n\t\n';
    buffer = Buffer.from(unit.repeat(Math.floor((Number(arg) * 1048576) / unit.length)));
    chunks = fixedChunks(buffer, 16 * 1024);
  } else {
    buffer = longLine(Number(arg) * 1048576);
    chunks = fixedChunks(buffer, input === 'long' ? 1024 : 1);
  }
  global.gc();
  const rssBefore = process.memoryUsage().rss;
  let events;
  const started = performance.now();
  if (approach === 'floor') {
    // The floor: lines already split (not timed), then only UTF-8 decoding and JSON.parse are timed.
    const lines = splitLines(buffer);
    const decoder = new TextDecoder();
    const t0 = performance.now();
    events = 0;
    for (const line of lines) events += countEvents(JSON.parse(decoder.decode(line)));
    const ms = performance.now() - t0;
    return finish(ms, events, buffer, rssBefore);
  }
  events = await approaches[approach](chunks);
  return finish(performance.now() - started, events, buffer, rssBefore);
}

function finish(ms, events, buffer, rssBefore) {
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const peakRssGrowthMB = Math.max(0, peakRss - rssBefore) / 1048576;
  process.stdout.write(`${JSON.stringify({ ms, events, bytes: buffer.length, peakRssGrowthMB })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
