// The built n8n bundle, as n8n loads it: its time limits, retry back-off, cancellation and streaming run
// on n8n-workflow's timer helper (the only timers n8n's verification allows), over real HTTP, with either
// shape of n8n-workflow: sleepWithAbort(ms, signal), or (n8n 2.41) sleep(ms, signal) alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import * as n8nUtils from 'n8n-workflow/dist/cjs/utils';
import type { Connectly } from '../../nodes/Connectly/Connectly.node';
import { runNode } from './harness';

const root = join(__dirname, '..', '..');
const KEY = 'n8n-bundle-key-5c1d';
let mock: MockConnectlyServer;
let outdir: string;
let bundled: Connectly;
let credentials: { apiKey: string; businessId: string; baseUrl: string };

beforeAll(async () => {
  // Built apart from dist/ (a test never races `npm run build`), where require() still finds n8n-workflow.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  outdir = mkdtempSync(join(cache, 'connectly-n8n-bundle-'));
  execFileSync(process.execPath, [join(root, 'scripts', 'build-n8n.js'), outdir], { cwd: root, timeout: 60_000 });
  const { Connectly: BundledConnectly } = (await import(join(outdir, 'nodes', 'Connectly', 'Connectly.node.js'))) as {
    Connectly: new () => Connectly;
  };
  bundled = new BundledConnectly();
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz' });
  credentials = { apiKey: KEY, businessId: 'biz', baseUrl: await mock.start() };
}, 90_000);
beforeEach(() => mock.reset());
afterEach(() => {
  jest.restoreAllMocks();
  return mock.waitForIdle(3000).catch(() => undefined);
});
afterAll(async () => {
  await mock?.stop();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const send = (options: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  resource: 'agent',
  operation: 'sendMessage',
  clientKey: 'customer-1',
  sessionId: '',
  sessionMemory: 'new',
  inputType: 'text',
  text: 'hello',
  output: 'reply',
  options,
  ...more,
});

type Helper = 'sleepWithAbort' | 'sleep';
let helper: Helper;

/** Every wait the bundle starts on n8n's helper, with its duration; n8n's own implementation still runs. */
const n8nSleeps = () => jest.spyOn(n8nUtils, helper);

const waitFor = async (condition: () => boolean, what: string): Promise<void> => {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 5000) throw new Error(`not seen within 5 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe.each<[string, Helper]>([
  ['with sleepWithAbort (n8n-workflow 2.11)', 'sleepWithAbort'],
  ['with sleep(ms, signal) alone (n8n-workflow 2.41)', 'sleep'],
])('the built n8n bundle, %s', (_, shape) => {
  const original = n8nUtils.sleepWithAbort;
  beforeEach(() => {
    helper = shape;
    // n8n-workflow 2.41 has no sleepWithAbort; the bundle looks it up on every wait.
    if (shape === 'sleep') Object.assign(n8nUtils, { sleepWithAbort: undefined });
  });
  afterEach(() => Object.assign(n8nUtils, { sleepWithAbort: original }));

  it('answers a message', async () => {
    const { outputs } = await runNode(send(), { credentials, nodeType: bundled });
    expect(outputs[0]?.[0]?.json['text']).toMatch(/demo shopping assistant/);
    expect(mock.requests.map((r) => r.headers['user-agent'])).toEqual(['n8n-nodes-connectly', 'n8n-nodes-connectly']);
  });

  it("ends a stalled stream with the idle timeout, timed by n8n's helper", async () => {
    const sleeps = n8nSleeps();
    mock.inject({ events: [{ messageEvent: {} }, { messageEvent: {} }], stall: 'body', afterEvents: 1 });
    await expect(runNode(send({ idleTimeout: 1 }), { credentials, nodeType: bundled })).rejects.toThrow(
      /sent nothing for 1000 ms/,
    );
    expect(sleeps.mock.calls.some(([ms]) => ms === 1000)).toBe(true);
    await mock.waitForAbandoned(1);
  });

  it("ends a call whose answer never starts with the timeout, timed by n8n's helper", async () => {
    const sleeps = n8nSleeps();
    mock.inject({ stall: 'headers' });
    await expect(runNode(send({ timeout: 1, retries: 0 }), { credentials, nodeType: bundled })).rejects.toThrow(
      /no response within 1000 ms/,
    );
    expect(sleeps.mock.calls.some(([ms]) => ms === 1000)).toBe(true);
    await mock.waitForAbandoned(1);
  });

  it("waits out Retry-After on n8n's helper, then tries again", async () => {
    const sleeps = n8nSleeps();
    mock.inject({ status: 429, retryAfter: 1 });
    const { outputs } = await runNode(send(), { credentials, nodeType: bundled });
    expect(outputs[0]?.[0]?.json['text']).toMatch(/demo shopping assistant/);
    expect(mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(2);
    expect(sleeps.mock.calls.some(([ms]) => ms === 1000)).toBe(true);
  });

  it("the execution's cancel signal ends a retry back-off, without another attempt", async () => {
    const sleeps = n8nSleeps();
    mock.inject({ status: 429, retryAfter: 10 });
    const controller = new AbortController();
    const run = runNode(send(), { credentials, nodeType: bundled, signal: controller.signal });
    await waitFor(() => sleeps.mock.calls.some(([ms]) => ms === 10_000), 'the 10 s back-off');
    controller.abort();
    await expect(run).rejects.toThrow(/cancelled/);
    expect(mock.requests.filter((r) => r.endpoint === 'invoke')).toHaveLength(1);
  });

  it("streams each message on with sendChunk while the idle timer runs on n8n's clock, until the stream stalls", async () => {
    const sleeps = n8nSleeps();
    const message = (text: string) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } });
    // Four lines 400 ms apart outlast the 1 s idle limit only because each line restarts it; then silence.
    mock.inject({
      events: [message('First'), message('Second'), message('Third'), message('Fourth'), message('never sent')],
      lineDelayMs: 400,
      stall: 'body',
      afterEvents: 4,
    });
    const { outputs, chunks } = await runNode(send({ idleTimeout: 1 }), {
      credentials,
      nodeType: bundled,
      streaming: true,
      continueOnFail: true,
    });
    expect(chunks).toEqual([
      { type: 'begin', itemIndex: 0, content: undefined },
      { type: 'item', itemIndex: 0, content: 'First' },
      { type: 'item', itemIndex: 0, content: '\n\nSecond' },
      { type: 'item', itemIndex: 0, content: '\n\nThird' },
      { type: 'item', itemIndex: 0, content: '\n\nFourth' },
    ]);
    expect(outputs[0]?.[0]?.json['error']).toMatch(/sent nothing for 1000 ms/);
    expect(outputs[0]?.[0]?.json['events']).toHaveLength(4);
    expect(sleeps).toHaveBeenCalled();
    await mock.waitForAbandoned(1);
  });
});
