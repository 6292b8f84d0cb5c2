// Starts a throwaway redis-server on a free loopback port (no persistence) and stops it: for the tests and the bench.
const { spawn } = require('node:child_process');
const { connect, createServer } = require('node:net');

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with { url, port, stop() } once the server accepts connections (bounded by `timeoutMs`). */
async function startRedis(timeoutMs = 10_000) {
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`redis-server did not start within ${timeoutMs} ms: ${output}`)),
      timeoutMs,
    );
    const fail = (error) => {
      clearTimeout(timer);
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error) =>
      fail(new Error(`cannot run ${REDIS_SERVER} (apt-get install redis-server): ${error.message}`)),
    );
    const onExit = (code) => fail(new Error(`redis-server exited with ${code}: ${output}`));
    child.once('exit', onExit);
    // Ready once it answers PING on its port.
    const poll = setInterval(() => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', () => socket.destroy());
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        if (!String(data).startsWith('+PONG')) return;
        clearTimeout(timer);
        clearInterval(poll);
        child.off('exit', onExit);
        resolve();
      });
    }, 20);
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    /** Stops the server answering without closing a connection (SIGSTOP), as a stuck Redis does. */
    pause() {
      if (running()) child.kill('SIGSTOP');
    },
    /** Lets a paused server answer again (SIGCONT). */
    resume() {
      if (running()) child.kill('SIGCONT');
    },
    async stop() {
      if (running()) {
        child.kill('SIGCONT'); // a paused server acts on SIGTERM only once it runs again
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}

module.exports = { startRedis };
