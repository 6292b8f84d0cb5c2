// The built packages as users load them: require() from CommonJS, import() from ESM, and the connectly-mock bin.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

describe('packaging', () => {
  it('require() works from CommonJS', () => {
    const out = node([
      '-e',
      "const m = require('connectly-agent-graph'); console.log(typeof m.ConnectlyClient, typeof m.ofType, m.VERSION)",
    ]);
    expect(out.trim()).toBe('function function 0.1.0');
  });

  it('the wire facts load on their own from connectly-agent-graph/wire, without the client or RxJS', () => {
    const out = node([
      '-e',
      "const w = require('connectly-agent-graph/wire'); console.log(w.API_PATH, w.RpcCode.UNAUTHENTICATED, w.rpcCodeForHttpStatus(503), Object.keys(require.cache).some((f) => f.includes('rxjs')))",
    ]);
    expect(out.trim()).toBe('/external/v1/ai/agent_graph 16 14 false');
  });

  it('the conformance suite loads from connectly-agent-graph/testing, by require() and import', () => {
    const load = 'const { conversationStoreConformance: c } = X; console.log(c(() => undefined).length > 20)';
    const cjs = node(['-e', load.replace('X', "require('connectly-agent-graph/testing')")]);
    const esm = node([
      '--input-type=module',
      '-e',
      load.replace(
        'const { conversationStoreConformance: c } = X;',
        "import { conversationStoreConformance as c } from 'connectly-agent-graph/testing';",
      ),
    ]);
    expect([cjs.trim(), esm.trim()]).toEqual(['true', 'true']);
  });

  it('import() works from ESM, with named exports', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import { ConnectlyClient, ConnectlyApiError } from 'connectly-agent-graph'; import { MockConnectlyServer } from 'connectly-agent-graph-mock'; console.log(typeof ConnectlyClient, typeof ConnectlyApiError, typeof MockConnectlyServer)",
    ]);
    expect(out.trim()).toBe('function function function');
  });

  it('the connectly-mock bin serves the API until stopped', async () => {
    const child = spawn(
      process.execPath,
      [join(root, 'packages/mock-server/dist/bin.js'), '--port', '0', '--api-key', 'bin-key'],
      { cwd: root },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('connectly-mock did not start')), 10_000);
        child.stdout.on('data', (data: Buffer) => {
          const match = /listening on (http:\/\/\S+)/.exec(data.toString());
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const response = await fetch(`${url}/external/v1/ai/agent_graph/health`, {
        method: 'POST',
        headers: { 'x-api-key': 'bin-key' },
        body: JSON.stringify({ businessId: 'b', clientKey: 'c' }),
      });
      expect(await response.json()).toEqual({ response: { healthy: true } });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
