// The seeded corpus and chunking every benchmark uses, so runs and approaches see the same bytes.
'use strict';

/** xorshift32: small, fast, and the same sequence on every run. */
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const WORDS = ['gift', 'scarf', 'candle', 'order', 'delivery', 'size', 'colour', 'return', 'store', 'price', 'wrap'];
const NON_ASCII = ['crème', 'brûlée', 'Olá', 'naïve', '日本語', '👋', 'über', 'São Paulo', 'ñandú'];
const SESSION = 'b6bed81c-5fda-486d-b96c-1ff3af36219a';

function sentence(rand, words) {
  const out = [];
  for (let i = 0; i < words; i += 1) {
    const list = rand() < 0.05 ? NON_ASCII : WORDS;
    out.push(list[Math.floor(rand() * list.length)]);
  }
  return out.join(' ');
}

function wireLine(event) {
  return JSON.stringify({ result: { response: { sessionId: SESSION, responseEvents: [event] } } });
}

/**
 * Looks like agent traffic: message events of 200 B – 2 KB (about 40% with non-ASCII text), ~1% product
 * lists of 30–50 KB, and ~2% blank keep-alive lines. Returns the NDJSON bytes and the event count.
 */
function makeCorpus(megabytes, seed = 20261121) {
  const rand = random(seed);
  const lines = [];
  let bytes = 0;
  let events = 0;
  while (bytes < megabytes * 1048576) {
    let event;
    if (rand() < 0.01) {
      const products = [];
      const count = 70 + Math.floor(rand() * 40);
      for (let i = 0; i < count; i += 1) {
        products.push({
          productId: `sku-${i}`,
          title: sentence(rand, 3),
          description: sentence(rand, 30),
          url: `https://shop.example.com/p/${i}`,
          price: Math.round(rand() * 10000) / 100,
          currency: 'USD',
        });
      }
      event = { recommendationEvent: { products } };
    } else {
      const words = 12 + Math.floor(rand() * 260);
      event = {
        messageEvent: {
          role: 'ASSISTANT',
          content: { textContent: { text: sentence(rand, words) } },
          createdAt: '2026-11-21T10:00:00.000Z',
        },
      };
    }
    const line = wireLine(event);
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
    events += 1;
    if (rand() < 0.02) lines.push('');
  }
  return { buffer: Buffer.from(lines.join('\n') + '\n'), events };
}

/** Zero-copy chunks of log-uniform random size from 1 B to 64 KiB (mean about 6 KiB). */
function chunkLogUniform(buffer, seed = 7) {
  const rand = random(seed);
  const chunks = [];
  for (let offset = 0; offset < buffer.length;) {
    const size = Math.max(1, Math.round(Math.exp(rand() * Math.log(65536))));
    chunks.push(buffer.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** The non-empty lines of an NDJSON buffer, as byte views. */
function splitLines(buffer) {
  const lines = [];
  for (let start = 0, end = buffer.indexOf(10); end !== -1; start = end + 1, end = buffer.indexOf(10, start)) {
    if (end > start) lines.push(buffer.subarray(start, end));
  }
  return lines;
}

/** One event line whose text makes it `bytes` long: the hostile single-line input. */
function longLine(bytes) {
  const head =
    '{"result":{"response":{"sessionId":"s","responseEvents":[{"messageEvent":{"content":{"textContent":{"text":"';
  const tail = '"}}}}]}}}\n';
  return Buffer.from(head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail);
}

module.exports = { random, makeCorpus, chunkLogUniform, splitLines, longLine, wireLine, SESSION };
