// Short chat turns, in one client process: node bench/short-turns.js <server url> <turns> <rounds> <inFlight> [only]
// [--baseline <dir>]. The server (bench/server.js, another process) answers every turn with a 3-event reply.
// Each round runs every approach for <turns> turns, <inFlight> at a time, one approach after another
// (alternating, so a noisy neighbour hits them all alike); the first round only warms up. Measures this
// process's CPU (user + system) per turn and turns per second. `only` runs one approach (for --cpu-prof).
// --baseline <dir> adds the rows of another build of the core (its package directory, built), so a
// before → after comparison runs side by side.
// Prints one JSON line: { approaches: { name: { cpuUs: [...], turnsPerSec: [...], events } } }.
'use strict';

const path = require('node:path');
const undici = require('undici');
const { SESSION } = require('./lib/corpus');

const args = process.argv.slice(2);
const baselineAt = args.indexOf('--baseline');
const baselineDir = baselineAt === -1 ? undefined : args.splice(baselineAt, 2)[1];
const [base, turnsArg, roundsArg, inFlightArg, only] = args;
const TURNS = Number(turnsArg);
const ROUNDS = Number(roundsArg);
const IN_FLIGHT = Number(inFlightArg);
const EVENTS_PER_TURN = 3;

const url = `${base}/short/external/v1/ai/agent_graph/invoke`;
const requestBody = JSON.stringify({
  businessId: 'bench',
  clientKey: 'customer',
  sessionId: SESSION,
  inputEvents: [{ messageEvent: { role: 'USER', content: { textContent: { text: 'Does it come in blue?' } } } }],
});
const headers = { 'content-type': 'application/json', 'x-api-key': 'bench-key' };

/** The events of an NDJSON reply's lines, the way a user would write it. */
function eventsOf(text) {
  let events = 0;
  for (const line of text.split('\n')) if (line) events += JSON.parse(line).result.response.responseEvents.length;
  return events;
}

/** A bare loop on the platform fetch: fetch + TextDecoder + split + JSON.parse. */
async function fetchTurn() {
  const response = await fetch(url, { method: 'POST', headers, body: requestBody });
  const decoder = new TextDecoder();
  let carry = '';
  let events = 0;
  for await (const chunk of response.body) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop();
    for (const line of lines) if (line) events += JSON.parse(line).result.response.responseEvents.length;
  }
  return events + eventsOf(carry + decoder.decode());
}

/** A bare loop on undici.request: the same splitting and parsing. */
async function undiciTurn() {
  const { body } = await undici.request(url, { method: 'POST', headers, body: requestBody });
  const decoder = new TextDecoder();
  let carry = '';
  let events = 0;
  for await (const chunk of body) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop();
    for (const line of lines) if (line) events += JSON.parse(line).result.response.responseEvents.length;
  }
  return events + eventsOf(carry + decoder.decode());
}

/** The approaches on one build of the core: invoke() and session().send(), on its default transport and on fetch. */
function coreApproaches(dir, label) {
  const core = require(dir);
  const make = (extra) =>
    new core.ConnectlyClient({ apiKey: 'bench-key', businessId: 'bench', baseUrl: `${base}/short`, ...extra });
  const count = (observable) =>
    new Promise((resolve, reject) => {
      let events = 0;
      observable.subscribe({ next: () => (events += 1), error: reject, complete: () => resolve(events) });
    });
  const turn = { clientKey: 'customer', sessionId: SESSION, text: 'Does it come in blue?' };
  const out = {};
  for (const [transport, extra] of [
    ['default', {}],
    ['fetch', { fetch: globalThis.fetch }],
  ]) {
    const client = make(extra);
    const store = new core.MemorySessionStore();
    const sessions = make({ ...extra, sessionStore: store });
    let next = 0;
    out[`invoke${label}:${transport}`] = () => count(client.invoke(turn));
    // One customer per turn in flight, as a chat server would see them: every turn reads and locks the store.
    out[`send${label}:${transport}`] = () =>
      count(sessions.session({ clientKey: `customer-${next++ % IN_FLIGHT}` }).send('Does it come in blue?'));
  }
  return out;
}

const approaches = {
  ...coreApproaches(path.join(__dirname, '..', 'packages', 'agent-graph', 'dist'), ''),
  ...(baselineDir ? coreApproaches(path.resolve(baselineDir, 'dist'), '@baseline') : {}),
  'bare:fetch': fetchTurn,
  'bare:undici': undiciTurn,
};

async function round(turn) {
  let left = TURNS;
  let events = 0;
  const worker = async () => {
    while (left > 0) {
      left -= 1;
      const got = await turn();
      events += got;
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (events !== TURNS * EVENTS_PER_TURN) throw new Error(`${events} events in ${TURNS} turns`);
  return { cpuUs: (used.user + used.system) / TURNS, turnsPerSec: TURNS / (ms / 1000), events };
}

async function main() {
  const names = only ? [only] : Object.keys(approaches);
  const results = Object.fromEntries(names.map((name) => [name, { cpuUs: [], turnsPerSec: [] }]));
  for (let r = 0; r <= ROUNDS; r += 1) {
    for (const name of names) {
      globalThis.gc?.();
      const result = await round(approaches[name]);
      if (r === 0) continue; // warm-up: JIT, connections, sessions in the store
      results[name].cpuUs.push(result.cpuUs);
      results[name].turnsPerSec.push(result.turnsPerSec);
    }
  }
  process.stdout.write(
    `${JSON.stringify({ turns: TURNS, rounds: ROUNDS, inFlight: IN_FLIGHT, approaches: results })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
