// The WhatsApp example as a fleet under faults, judged by the history checker over the mock's records.
// `control`: one replica, no chaos, no kill: today's loop keeps every guarantee. `fleet`: three replicas
// behind a round-robin proxy, chaos deliveries (duplicates, reordering, lost answers), a replica killed
// mid-turn and restarted, Redis restarted: the verdict must be clean. FLEET_SCENARIO=control|fleet runs one;
// FLEET_SEED=N replays a run's random choices; FLEET_HISTORY_FILE=/tmp/{scenario}.json keeps each run's history;
// FLEET_LOG_DIR=/tmp/dir appends each replica's output to <dir>/<replica>.log.
import { writeFileSync } from 'node:fs';
import { checkHistory, summary } from './history';
import { type Scenario, runFleet } from './fleet';

const seed = Number(process.env['FLEET_SEED'] ?? Date.now() % 2 ** 31);
const only = process.env['FLEET_SCENARIO'];
if (only !== undefined && only !== 'control' && only !== 'fleet') {
  throw new Error(`FLEET_SCENARIO must be control or fleet, got "${only}"`);
}
const scenarios: Scenario[] = [
  { name: 'control', replicas: 1, customers: 50, messagesPerCustomer: 10, handovers: 10, seed },
  {
    name: 'fleet',
    replicas: 3,
    customers: 50,
    messagesPerCustomer: 10,
    handovers: 10,
    // A third of deliveries sent twice, each held up to 150 ms, a tenth of the 200 answers lost.
    chaos: { duplicateRate: 0.3, maxDelayMs: 150, lostAnswerRate: 0.1 },
    killAfterMessages: 150,
    restartRedisAfterMessages: 300,
    seed,
  },
];

describe('the WhatsApp example as a fleet', () => {
  for (const scenario of scenarios.filter((s) => only === undefined || s.name === only)) {
    it(`${scenario.name}: every message reaches the agent once and in order, every reply is sent once, none while held`, async () => {
      const run = await runFleet(scenario);
      const verdict = checkHistory(run.history);
      const file = process.env['FLEET_HISTORY_FILE'];
      if (file) writeFileSync(file.replace('{scenario}', scenario.name), JSON.stringify(run.history, null, 1));
      process.stdout.write(
        `\n[fleet ${scenario.name}] seed ${seed}, ${(run.durationMs / 1000).toFixed(1)} s\n` +
          `${run.events.map((line) => `  ${line}`).join('\n')}\n  ${summary(verdict)}\n` +
          `${verdict.examples.map((line) => `    ${line}`).join('\n')}\n`,
      );
      expect(verdict).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, sentWhileHeld: 0, clean: true });
    }, 240_000);
  }
});
