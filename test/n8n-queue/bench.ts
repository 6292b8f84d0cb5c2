// `npm run bench:n8n-queue`: 50 concurrent conversations through a production webhook of an n8n queue-mode
// cluster (main + two workers), the Connectly node beside the same workflow built from HTTP Request nodes
// against invoke_sync and beside the data-table sessions example, in the same run; then bursts of first
// messages of one customer through the sessions example, counting the sessions they end on; then the
// latency to the screen through the cluster's streaming webhook beside the core subscriber.
// `-- --write` puts the tables in BENCHMARKS.md; `-- --quick` is shorter.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ConnectlyClient, messageText } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { lastValueFrom, tap } from 'rxjs';
import { writeBlock } from '../../bench/lib/blocks';
import { fillSlots } from '../../bench/lib/slots';
import { example, readChunks } from '../support/n8n';
import { type Cluster, startCluster } from './cluster';
import { SESSIONS_TABLE, httpRequestBaseline } from './workflows';

const CONVERSATIONS = 50;
const ROUNDS = process.argv.includes('--quick') ? 2 : 5;
const BURSTS = process.argv.includes('--quick') ? 5 : 20;
const BURST_SIZE = 8;
const CONCURRENCY = 10; // n8n's default `n8n worker --concurrency`
const KEY = 'n8n-queue-bench-key-0123';
const CREDENTIAL = { id: 'credQueueBench01', name: 'Connectly (mock)' };

// Latency to the screen, as section 8 of `npm run bench` measures it in regular mode.
const LATENCY_LINES = 400;
const LATENCY_GAP_MS = 5;
const STAMPED = { id: 'credQueueStamped', name: 'Connectly (stamped lines)' };
const STAMPED_SESSION = 'b6bed81c-5fda-486d-b96c-1ff3af36219a';

interface Contender {
  name: string;
  path: string;
}
const CONTENDERS: Contender[] = [
  { name: 'Connectly node (invoke, streamed)', path: 'connectly-message' },
  { name: 'HTTP Request nodes (init + invoke_sync)', path: 'http-baseline' },
  { name: 'Connectly node + Data table sessions (a first message each)', path: 'connectly-queue-message' },
];

interface Answer {
  reply?: string;
  sessionId?: string;
  handover?: boolean;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
const median = (values: number[]) => percentile(values, 50);

async function converse(cluster: Cluster, path: string, customer: string): Promise<{ ms: number; answer: Answer }> {
  const started = performance.now();
  const response = await fetch(`${cluster.base}/webhook/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'hello', customerId: customer }),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text.slice(0, 200)}`);
  return { ms, answer: JSON.parse(text) as Answer };
}

/** One round: `CONVERSATIONS` different customers at once; every answer must carry the agent's reply. */
async function round(cluster: Cluster, contender: Contender, label: string, expected: string) {
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: CONVERSATIONS }, (_, index) => converse(cluster, contender.path, `${label}-${index}`)),
  );
  const wallMs = performance.now() - started;
  const wrong = results.filter(({ answer }) => answer.reply !== expected || !answer.sessionId).length;
  if (wrong > 0) throw new Error(`${contender.name}: ${wrong} of ${CONVERSATIONS} answers lack the agent's reply`);
  return { wallMs, latencies: results.map((result) => result.ms) };
}

/**
 * The benchmark's stream server (bench/server.js) in its own process, as in `npm run bench`: its lines carry
 * its monotonic clock, which every process on the machine shares.
 */
function startStampServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = spawn(process.execPath, [join(__dirname, '..', '..', 'bench', 'server.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      reject(new Error('bench/server.js did not start within 10 s'));
    }, 10_000);
    server.once('error', reject);
    server.stdout.on('data', (data: Buffer) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(data.toString());
      if (!match) return;
      clearTimeout(timer);
      resolve({ url: match[1] as string, stop });
    });
  });
}

/** Milliseconds from the stamp in a line's text to `arrived` (both from `process.hrtime.bigint()`). */
const sinceStamp = (text: string, arrived = process.hrtime.bigint()) => Number(arrived - BigInt(text.trim())) / 1e6;

/** The core subscriber: one turn of stamped lines read with `client.invoke()`. */
async function coreSamples(client: ConnectlyClient): Promise<number[]> {
  const samples: number[] = [];
  const request = { clientKey: 'bench-latency', sessionId: STAMPED_SESSION, text: 'hi' };
  await lastValueFrom(
    client.invoke(request).pipe(
      tap((event) => {
        const text = messageText(event);
        if (text) samples.push(sinceStamp(text));
      }),
    ),
  );
  return samples;
}

/** The HTTP client of the streaming chat webhook: one chat message, each streamed item timed from its stamp. */
async function webhookSamples(cluster: Cluster): Promise<number[]> {
  const response = await fetch(`${cluster.base}/webhook/connectly-chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'hi', customerId: 'bench-latency', sessionId: STAMPED_SESSION }),
  });
  if (!response.ok) throw new Error(`connectly-chat answered ${response.status}: ${await response.text()}`);
  const chunks = await readChunks(response, Date.now());
  return chunks.filter((chunk) => chunk.type === 'item').map((chunk) => sinceStamp(chunk.content ?? '', chunk.hrtime));
}

/**
 * Bursts of first messages of one new customer through the sessions example, each followed by one more
 * message: how many sessions they started, and whether every message ended on one session.
 */
async function bursts(cluster: Cluster, mock: MockConnectlyServer) {
  const runs: Array<{ customer: string; sessionIds: string[] }> = [];
  for (let index = 0; index < BURSTS; index += 1) {
    const customer = `burst-${index}`;
    // Each init is held 1 s, so every message of the burst misses the lookup and starts a session.
    mock.inject({ endpoint: 'init', times: BURST_SIZE, delayMs: 1000 });
    const burst = await Promise.all(
      Array.from({ length: BURST_SIZE }, () => converse(cluster, 'connectly-queue-message', customer)),
    );
    const later = await converse(cluster, 'connectly-queue-message', customer);
    runs.push({ customer, sessionIds: [...burst, later].map(({ answer }) => answer.sessionId ?? '') });
    mock.reset(); // init delays a burst did not use
  }
  // The extra sessions are closed after the answers: wait (bounded) for every execution to end.
  const deadline = Date.now() + 120_000;
  while (Number(cluster.sql(`select count(*) from execution_entity where status in ('new', 'running')`)[0]?.[0])) {
    if (Date.now() > deadline) throw new Error('executions still running 2 minutes after the bursts');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const sessions = [...mock.sessions.values()];
  let started = 0;
  let converged = 0;
  let leftOpen = 0;
  let strayTurns = 0;
  for (const { customer, sessionIds } of runs) {
    const kept = sessionIds.at(-1);
    const own = sessions.filter((session) => session.clientKey === customer);
    started += own.length;
    if (sessionIds.every((id) => id === kept)) converged += 1;
    leftOpen += own.filter((session) => session.sessionId !== kept && !session.closed).length;
    strayTurns += own.filter((session) => session.sessionId !== kept).reduce((sum, s) => sum + s.turns, 0);
  }
  return { started, converged, leftOpen, strayTurns };
}

async function main() {
  const benchStarted = Date.now();
  const mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz' });
  const baseUrl = await mock.start();
  let stamps: Awaited<ReturnType<typeof startStampServer>> | undefined;
  let cluster: Cluster | undefined;
  try {
    stamps = await startStampServer();
    const stampedUrl = `${stamps.url}/latency/${LATENCY_LINES}/${LATENCY_GAP_MS}`;
    cluster = await startCluster({
      concurrency: CONCURRENCY,
      credentials: [
        { ...CREDENTIAL, type: 'connectlyApi', data: { apiKey: KEY, businessId: 'biz', baseUrl } },
        { ...STAMPED, type: 'connectlyApi', data: { apiKey: KEY, businessId: 'biz', baseUrl: stampedUrl } },
      ],
      workflows: [
        example('handover-notifies-a-human.json', 'benchConnectlyWf1', CREDENTIAL),
        httpRequestBaseline('benchHttpBaseline', 'http-baseline', { baseUrl, apiKey: KEY, businessId: 'biz' }),
        example('chat-with-connectly-agent.json', 'benchStreamingChat', STAMPED),
        example('queue-mode-sessions.json', 'benchSessionsWf01', CREDENTIAL),
      ],
      dataTables: [SESSIONS_TABLE],
    });
    // Warm both paths, and check that they answer the same thing.
    const answers = await Promise.all(
      CONTENDERS.map((contender) => converse(cluster as Cluster, contender.path, 'warm')),
    );
    const expected = answers[0]?.answer.reply ?? '';
    for (const [index, { answer }] of answers.entries()) {
      if (!expected || answer.reply !== expected || answer.handover !== false)
        throw new Error(
          `${CONTENDERS[index]?.name} answered ${JSON.stringify(answer)}, expected the reply ${expected}`,
        );
    }
    for (const contender of CONTENDERS) await round(cluster, contender, `warm-${contender.path}`, expected);

    const measured = new Map(
      CONTENDERS.map((contender) => [contender, { rates: [] as number[], latencies: [] as number[] }]),
    );
    for (let index = 0; index < ROUNDS; index += 1) {
      // Alternate who goes first, so neither always meets a freshly drained queue.
      const order = index % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
      for (const contender of order) {
        const { wallMs, latencies } = await round(cluster, contender, `r${index}-${contender.path}`, expected);
        const entry = measured.get(contender) as { rates: number[]; latencies: number[] };
        entry.rates.push(CONVERSATIONS / (wallMs / 1000));
        entry.latencies.push(...latencies);
      }
    }

    const burstsSeen = await bursts(cluster, mock);

    // Latency to the screen: the core subscriber first, then the chat webhook, each warmed by one turn.
    const client = new ConnectlyClient({ apiKey: KEY, businessId: 'biz', baseUrl: stampedUrl });
    await coreSamples(client);
    const core = [...(await coreSamples(client)), ...(await coreSamples(client))];
    await webhookSamples(cluster);
    const queued = [...(await webhookSamples(cluster)), ...(await webhookSamples(cluster))];
    for (const [name, samples] of [
      ['core subscriber', core],
      ['chat webhook', queued],
    ] as const) {
      if (samples.length !== 2 * LATENCY_LINES)
        throw new Error(`${name}: ${samples.length} of ${2 * LATENCY_LINES} stamped lines arrived`);
    }
    const latencyRow = (name: string, samples: number[]) => {
      const added = (p: number) => (samples === core ? '' : (percentile(samples, p) - percentile(core, p)).toFixed(3));
      return `| ${name} | ${percentile(samples, 50).toFixed(3)} | ${percentile(samples, 99).toFixed(3)} | ${Math.max(...samples).toFixed(3)} | ${added(50)} | ${added(99)} |`;
    };

    const cpu = cpus();
    const lines = [
      `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} vCPU, n8n 2.41.1 on Node 24, Redis and Postgres 15 on the same machine.`,
      `Cluster: \`n8n start\` + 2 \`n8n worker --concurrency=${CONCURRENCY}\`; the mock answers without pacing.`,
      `Each round: ${CONVERSATIONS} different customers post at once to the production webhook, each answer checked; ${ROUNDS} rounds per workflow, interleaved, after a warm-up round.`,
      '',
      '| workflow | executions/s, median (min–max) | webhook latency p50 ms | p95 ms |',
      '|---|---|---|---|',
      ...CONTENDERS.map((contender) => {
        const { rates, latencies } = measured.get(contender) as { rates: number[]; latencies: number[] };
        return `| ${contender.name} | ${median(rates).toFixed(1)} (${Math.min(...rates).toFixed(1)}–${Math.max(...rates).toFixed(1)}) | ${percentile(latencies, 50).toFixed(0)} | ${percentile(latencies, 95).toFixed(0)} |`;
      }),
      '',
      `Sessions across workers: ${BURSTS} bursts of ${BURST_SIZE} first messages of a new customer at once through the sessions example (each init held 1 s, so they race), then one more message each.`,
      '',
      '| bursts | sessions started | bursts whose messages all ended on one session | other sessions left open | turns sent outside the kept session |',
      '|---|---|---|---|---|',
      `| ${BURSTS} | ${burstsSeen.started} | ${burstsSeen.converged} | ${burstsSeen.leftOpen} | ${burstsSeen.strayTurns} |`,
      '',
      `Latency to the screen in queue mode: the stream server of \`npm run bench\` (its own process) writes ${LATENCY_LINES} lines ${LATENCY_GAP_MS} ms apart per request, each stamped with its monotonic clock; they arrive at the core subscriber (\`client.invoke()\`, this process), and at the HTTP client of the streaming chat webhook (examples/n8n/chat-with-connectly-agent.json), whose execution runs on a worker. Two requests per path after a warm-up, ${2 * LATENCY_LINES} lines each. Added = the webhook's percentile minus the core's.`,
      '',
      '| arrives at | p50 ms | p99 ms | max ms | added p50 ms | added p99 ms |',
      '|---|---|---|---|---|---|',
      latencyRow('core subscriber (`client.invoke()`)', core),
      latencyRow('n8n 2.41 streaming webhook (queue mode, run on a worker)', queued),
      '',
      `Bench time: ${((Date.now() - benchStarted) / 1000).toFixed(0)} s (cluster start included).`,
    ];
    for (const line of lines) say(line);
    if (process.argv.includes('--write')) {
      // The figures README.md quotes from this run (see bench/lib/slots.js): the bursts, and the sessions
      // example's executions per second as a share of the plain node's.
      const rateOf = (index: number) =>
        Number(median(measured.get(CONTENDERS[index] as Contender)?.rates ?? []).toFixed(1)); // as in the table
      const slots = {
        'queue.bursts': String(BURSTS),
        'queue.burstSize': String(BURST_SIZE),
        'queue.sessionsStarted': String(burstsSeen.started),
        'queue.converged': String(burstsSeen.converged),
        'queue.leftOpen': String(burstsSeen.leftOpen),
        'queue.strayTurns': String(burstsSeen.strayTurns),
        'queue.conversations': String(CONVERSATIONS),
        'queue.sessionsShare': `${Math.round((100 * rateOf(2)) / rateOf(0))}%`,
      };
      const readme = join(__dirname, '..', '..', 'README.md');
      writeFileSync(readme, fillSlots(readFileSync(readme, 'utf8'), slots));
      writeBlock('n8n-queue', lines);
    }
  } finally {
    await cluster?.stop();
    await mock.stop();
    await stamps?.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
