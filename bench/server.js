// The benchmark's stream server in its own process: node bench/server.js [corpus file]
// (paths: see lib/stream-server.js; without a corpus only the latency paths stream anything).
// Prints {"url": …} once listening; stops on SIGTERM.
'use strict';

const fs = require('node:fs');
const { startStreamServer } = require('./lib/stream-server');

startStreamServer(process.argv[2] ? fs.readFileSync(process.argv[2]) : Buffer.alloc(0)).then((server) => {
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
});
