// Conversations for the concurrency benchmarks: sessions started on the mock server, 50 at a time.
'use strict';

const { firstValueFrom } = require('rxjs');

/** Starts `n` sessions (customer-0 … customer-<n-1>); resolves with their `{ clientKey, sessionId }`. */
async function startSessions(client, n) {
  const sessions = [];
  for (let i = 0; i < n; i += 50) {
    const keys = Array.from({ length: Math.min(50, n - i) }, (_, j) => `customer-${i + j}`);
    const started = await Promise.all(keys.map((clientKey) => firstValueFrom(client.init({ clientKey }))));
    sessions.push(...started.map((s, j) => ({ clientKey: keys[j], sessionId: s.sessionId })));
  }
  return sessions;
}

module.exports = { startSessions };
