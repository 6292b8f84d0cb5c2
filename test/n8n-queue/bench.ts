// `npm run bench:n8n-queue`: 50 concurrent conversations through a production webhook of an n8n queue-mode
// cluster (main + two workers), the Connectly node beside the same workflow built from HTTP Request nodes
// against invoke_sync and beside the data-table sessions example, in the same run; then bursts of first
// messages of one customer through the sessions example, counting the sessions they end on.
// `-- --write` puts the tables in BENCHMARKS.md; `-- --quick` is shorter.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { example } from '../support/n8n';
import { type Cluster, startCluster } from './cluster';
import { SESSIONS_TABLE, httpRequestBaseline } from './workflows';

const CONVERSATIONS = 50;
const ROUNDS = process.argv.includes('--quick') ? 2 : 5;
const BURSTS = process.argv.includes('--quick') ? 5 : 20;
const BURST_SIZE = 8;
const CONCURRENCY = 10; // n8n's default `n8n worker --concurrency`
const KEY = 'n8n-queue-bench-key-0123';
const CREDENTIAL = { id: 'credQueueBench01', name: 'Connectly (mock)' };

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
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({
      concurrency: CONCURRENCY,
      credentials: [{ ...CREDENTIAL, type: 'connectlyApi', data: { apiKey: KEY, businessId: 'biz', baseUrl } }],
      workflows: [
        example('handover-notifies-a-human.json', 'benchConnectlyWf1', CREDENTIAL),
        httpRequestBaseline('benchHttpBaseline', 'http-baseline', { baseUrl, apiKey: KEY, businessId: 'biz' }),
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
      `Bench time: ${((Date.now() - benchStarted) / 1000).toFixed(0)} s (cluster start included).`,
    ];
    for (const line of lines) say(line);
    if (process.argv.includes('--write')) {
      const doc = join(__dirname, '..', '..', 'BENCHMARKS.md');
      const text = readFileSync(doc, 'utf8');
      const begin = '<!-- n8n-queue:begin -->';
      const end = '<!-- n8n-queue:end -->';
      if (!text.includes(begin) || !text.includes(end))
        throw new Error(`BENCHMARKS.md lacks the ${begin} … ${end} markers`);
      writeFileSync(
        doc,
        `${text.slice(0, text.indexOf(begin) + begin.length)}\n${lines.join('\n')}\n${text.slice(text.indexOf(end))}`,
      );
    }
  } finally {
    await cluster?.stop();
    await mock.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
