// The benchmark's stream server, usable in any process: the corpus in 64 KiB writes, or timed lines.
// Paths (any suffix, so a client's base URL can carry the mode):
//   /corpus/<repeat>/…            the corpus, <repeat> times, in 64 KiB writes with backpressure
//   /latency/<lines>/<gapMs>/…    <lines> small event lines <gapMs> apart, each stamped with hrtime
//   /short/…                      a short chat turn's reply: 3 event lines (a text, a product, suggestions)
//   …/init                        a new session (always the corpus's session id)
'use strict';

const http = require('node:http');
const { wireLine, SESSION } = require('./corpus');

function write(res, data) {
  if (res.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ok) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/**
 * One event line stamped with the server's monotonic clock at the moment it is written, in its metadata
 * and as its text (so a path that passes on only the text, like an n8n streaming webhook, still carries it).
 */
function stampedLine() {
  const t = process.hrtime.bigint().toString();
  const event = { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: t } }, metadata: { t } } };
  return `${wireLine(event)}\n`;
}

// A short turn's reply as a chat agent sends it: a text, a product card and suggested questions.
const SHORT_REPLY = Buffer.from(
  [
    { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'Here is a scarf that goes with it:' } } } },
    {
      recommendationEvent: {
        products: [
          {
            productId: 'sku-17',
            title: 'Wool scarf',
            url: 'https://shop.example.com/p/17',
            imageUrl: 'https://shop.example.com/i/17.jpg',
            price: 39.5,
            currency: 'USD',
          },
        ],
      },
    },
    { chatSuggestionEvent: { suggestedQuestions: ['Other colours?', 'Gift wrap?', 'Delivery time?'] } },
  ]
    .map((event) => `${wireLine(event)}\n`)
    .join(''),
);

/** Listens on 127.0.0.1:0; resolves with its URL and a close(). */
function startStreamServer(corpus) {
  const server = http.createServer(async (req, res) => {
    req.resume();
    const parts = (req.url || '').split('/');
    res.writeHead(200, { 'content-type': 'application/json' });
    if (parts[parts.length - 1] === 'init') {
      res.end(JSON.stringify({ response: { sessionId: SESSION } }));
    } else if (parts[1] === 'corpus') {
      const repeat = Number(parts[2]);
      for (let round = 0; round < repeat; round += 1) {
        for (let offset = 0; offset < corpus.length; offset += 65536) {
          if (!(await write(res, corpus.subarray(offset, offset + 65536)))) return;
        }
      }
      res.end();
    } else if (parts[1] === 'short') {
      res.end(SHORT_REPLY);
    } else if (parts[1] === 'latency') {
      const lines = Number(parts[2]);
      const gap = Number(parts[3]);
      for (let i = 0; i < lines; i += 1) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, gap));
        if (!(await write(res, stampedLine()))) return;
      }
      res.end();
    } else {
      res.end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}

module.exports = { startStreamServer };
