// The WhatsApp example as a fleet under faults, judged by the history checker over the mock's records.
// `control`: one replica, no chaos, no kill: today's loop keeps every guarantee. `fleet`: three replicas
// behind a round-robin proxy, chaos deliveries (duplicates, reordering, lost answers), a replica killed
// mid-turn and restarted, Redis restarted: the verdict must be clean. FLEET_SCENARIO=control|fleet runs one;
// FLEET_SEED=N replays a run's random choices; FLEET_HISTORY_FILE=/tmp/{scenario}.json keeps each run's history;
// FLEET_LOG_DIR=/tmp/dir appends each replica's output to <dir>/<replica>.log.
import { writeFileSync } from 'node:fs';
import { checkHistory } from './history';
import { fleetReport, fleetScenarios, fleetSeed, runFleet } from './fleet';

describe('the WhatsApp example as a fleet', () => {
  for (const scenario of fleetScenarios(fleetSeed())) {
    it(`${scenario.name}: every message reaches the agent once and in order, every reply is sent once, none while held`, async () => {
      const run = await runFleet(scenario);
      const verdict = checkHistory(run.history);
      const file = process.env['FLEET_HISTORY_FILE'];
      if (file) writeFileSync(file.replace('{scenario}', scenario.name), JSON.stringify(run.history, null, 1));
      process.stdout.write(fleetReport(scenario, run, verdict));
      expect(verdict).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, sentWhileHeld: 0, clean: true });
    }, 240_000);
  }
});
