// The benchmark's stream server in its own process: node bench/server.js <corpus file>
// (paths: see lib/stream-server.js). Prints {"url": …} once listening; stops on SIGTERM.
'use strict';

const fs = require('node:fs');
const { startStreamServer } = require('./lib/stream-server');

startStreamServer(fs.readFileSync(process.argv[2])).then((server) => {
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
});
