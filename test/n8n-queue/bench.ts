// `npm run bench:n8n-queue`: 50 concurrent conversations through a production webhook of an n8n queue-mode
// cluster (main + two workers), the Connectly node beside the same workflow built from HTTP Request nodes
// against invoke_sync, in the same run. `-- --write` puts the table in BENCHMARKS.md; `-- --quick` is shorter.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { example } from '../support/n8n';
import { type Cluster, startCluster } from './cluster';
import { httpRequestBaseline } from './workflows';

const CONVERSATIONS = 50;
const ROUNDS = process.argv.includes('--quick') ? 2 : 5;
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
      ],
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
