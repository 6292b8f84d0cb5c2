// The built package as users load it: require() and import(), beside the core it shares its errors with.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

it('require() works from CommonJS, and its errors are the core’s', () => {
  const out = node([
    '-e',
    [
      "const { RedisSessionStore } = require('connectly-session-redis');",
      "const { ConnectlyValidationError } = require('connectly-agent-graph');",
      'try { new RedisSessionStore({}); } catch (e) { console.log(typeof RedisSessionStore, e instanceof ConnectlyValidationError); }',
    ].join(' '),
  ]);
  expect(out.trim()).toBe('function true');
});

it('import() works from ESM, and a client takes the store', () => {
  const out = node([
    '--input-type=module',
    '-e',
    [
      "import { RedisSessionStore } from 'connectly-session-redis';",
      "import { ConnectlyClient } from 'connectly-agent-graph';",
      "const store = new RedisSessionStore({ url: 'redis://127.0.0.1:1' });",
      "const client = new ConnectlyClient({ apiKey: 'k', businessId: 'b', sessionStore: store });",
      "console.log(client.session({ clientKey: 'c' }).constructor.name);",
      'await store.close();',
    ].join(' '),
  ]);
  expect(out.trim()).toBe('SharedSession');
});
