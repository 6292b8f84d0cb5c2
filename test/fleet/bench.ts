// `npm run bench:fleet`: the fleet suite's scenarios (fleet.ts), each run once and judged by the history
// checker (history.ts), as figures: messages lost, duplicated, out of order and sent while held, the
// delivery → first WhatsApp send latency, and the turns taken over after the kill. The seed is FLEET_SEED
// or drawn now, and printed; FLEET_SCENARIO=control|fleet runs one. `-- --write` puts the figures in
// BENCHMARKS.md's fleet block and README.md's `fleet.*` slots. Exits 1 when a verdict is not clean.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { writeBlock } from '../../bench/lib/blocks';
import { fillSlots } from '../../bench/lib/slots';
import { type Verdict, checkHistory } from './history';
import { type FleetRun, type Scenario, fleetReport, fleetScenarios, fleetSeed, runFleet } from './fleet';

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const ms = (value: number | undefined): string => (value === undefined ? '-' : String(Math.round(value)));

function redisVersion(): string {
  try {
    const line = execFileSync(process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server', ['--version'], {
      encoding: 'utf8',
    });
    return /v=([\d.]+)/.exec(line)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// What the scenario does to the fleet, in words, for its row.
function faults(scenario: Scenario): string {
  const done: string[] = [];
  if (scenario.chaos) {
    const { duplicateRate = 0, maxDelayMs = 0, lostAnswerRate = 0 } = scenario.chaos;
    done.push(
      `chaos deliveries (${Math.round(duplicateRate * 100)}% sent twice, each held up to ${maxDelayMs} ms, ` +
        `${Math.round(lostAnswerRate * 100)}% of answers lost)`,
    );
  }
  if (scenario.killAfterMessages !== undefined)
    done.push(`a replica killed (SIGKILL) mid-turn after ${scenario.killAfterMessages} messages, restarted`);
  if (scenario.restartRedisAfterMessages !== undefined)
    done.push(`Redis restarted after ${scenario.restartRedisAfterMessages} messages`);
  return done.length > 0 ? done.join('; ') : 'none';
}

function row(scenario: Scenario, run: FleetRun, verdict: Verdict): string {
  const cells = [
    scenario.name,
    String(scenario.replicas),
    faults(scenario),
    String(verdict.messages),
    String(verdict.lost),
    String(verdict.duplicated),
    String(verdict.outOfOrder),
    String(verdict.sentWhileHeld),
    ms(verdict.latencyMs.p50),
    ms(verdict.latencyMs.p99),
    String(run.takeovers),
    String(verdict.retried),
    verdict.clean ? 'clean' : 'violated',
  ];
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const seed = fleetSeed();
  const scenarios = fleetScenarios(seed);
  const cpu = cpus();
  const loadAtStart = loadavg()[0] ?? 0;
  say(`Seed ${seed} (FLEET_SEED=${seed} replays the script's pauses and the chaos mode's choices).`);
  const results: Array<{ scenario: Scenario; run: FleetRun; verdict: Verdict }> = [];
  for (const scenario of scenarios) {
    const run = await runFleet(scenario);
    const verdict = checkHistory(run.history);
    say(fleetReport(scenario, run, verdict));
    results.push({ scenario, run, verdict });
  }
  const first = scenarios[0] as Scenario;
  const lines = [
    `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} vCPU, Node ${process.version}, redis-server ${redisVersion()}, load average ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end (the machine is shared with other work).`,
    `Seed: ${seed} (\`FLEET_SEED=${seed} npm run bench:fleet\` replays the script's pauses and the chaos mode's choices, not the processes' timing).`,
    '',
    `Each scenario: replicas of examples/nest-whatsapp (child processes) sharing one redis-server (append-only file on), behind a round-robin proxy; the mock Connectly in the bench's process, its agent answering each turn with what it heard; ${first.customers} customers × ${first.messagesPerCustomer} messages, ${first.handovers} of them asking for a human at their third message, a teammate answering from the inbox, the desk releasing after their sixth; all on loopback.`,
    '',
    '| scenario | replicas | faults | messages | lost | duplicated | out of order | sent while held | delivery → first send p50 ms | p99 ms | replies taken over | messages heard again | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(({ scenario, run, verdict }) => row(scenario, run, verdict)),
    '',
    "Counted by the fleet suite's history checker (test/fleet/history.ts) over the mock's records. Lost: a message no answered turn carried. Duplicated: a message the agent answered in two turns, or a reply sent twice. Out of order: a message the agent heard before one of the same customer the fleet had taken earlier. Sent while held: an automated send between a handover and its release. Latency: from a message's first delivery to the fleet to the first WhatsApp send of the turn answering it (messages said while held left out). The last two columns are the takeovers after the kill (and the Redis restart). Replies taken over: a replica sending what was left of a reply whose turn stopped elsewhere (its replica killed, or its turn lock lost). Messages heard again: carried by a turn that sent nothing (its replica killed before sending, or its turn stopped) and heard again in a later turn, on the replica that took the conversation over: the agent heard them twice, the customer got one answer.",
    '',
    `Bench time: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  ];
  say(lines.join('\n'));
  if (process.argv.includes('--write')) {
    const fleet = results.find(({ scenario }) => scenario.name === 'fleet');
    if (!fleet || scenarios.length < 2) throw new Error('`--write` needs both scenarios: leave FLEET_SCENARIO unset');
    writeBlock('fleet', lines);
    // The figures README.md quotes from this run (see bench/lib/slots.js): the fleet scenario's row.
    const { verdict } = fleet;
    const slots = {
      'fleet.messages': String(verdict.messages),
      'fleet.lost': String(verdict.lost),
      'fleet.duplicated': String(verdict.duplicated),
      'fleet.outOfOrder': String(verdict.outOfOrder),
      'fleet.sentWhileHeld': String(verdict.sentWhileHeld),
      'fleet.p50': ms(verdict.latencyMs.p50),
      'fleet.p99': ms(verdict.latencyMs.p99),
    };
    const readme = join(__dirname, '..', '..', 'README.md');
    writeFileSync(readme, fillSlots(readFileSync(readme, 'utf8'), slots));
  }
  const violated = results.filter(({ verdict }) => !verdict.clean).map(({ scenario }) => scenario.name);
  if (violated.length > 0) {
    process.stderr.write(`Not clean: ${violated.join(', ')} (the examples above say what broke)\n`);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
