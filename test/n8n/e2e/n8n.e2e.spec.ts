// The Connectly node in a real n8n: the package is packed with `npm pack`, installed as a community
// package, and its workflows run headlessly (`n8n execute`) and as a served webhook (`n8n start`),
// against the mock Connectly server. Everything listens on 127.0.0.1 and is stopped at the end.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Fault, MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  type WorkflowNode,
  example as exampleWorkflow,
  freePort,
  installCommunityPackage,
  installN8n,
  n8nEnvironment,
  stopN8n,
} from '../../support/n8n';

const KEY = 'n8n-e2e-key-DISTINCTIVE-2291';
const GOOD = { id: 'credGoodConnect1', name: 'Connectly (mock)' };
const BAD = { id: 'credBadConnect01', name: 'Connectly (wrong key)' };
const REDIRECTED = { id: 'credRedirectCon1', name: 'Connectly (behind a redirect)' };

let work: string;
let env: NodeJS.ProcessEnv;
let n8nBin: string;
let mock: MockConnectlyServer;
// A server that answers every request with a 307 to `elsewhere`, which records whatever reaches it.
let redirector: Server;
let elsewhere: Server;
const redirected: string[] = [];
const arrivedElsewhere: Array<string | undefined> = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

interface Item {
  json: Record<string, unknown>;
  pairedItem?: unknown;
}
interface RunResult {
  code: number;
  output: string;
  runData: Record<string, Array<{ data?: { main: Item[][] }; error?: { message: string } }>>;
  error?: { message: string; description?: string };
}

function n8n(args: string[], timeoutMs = 120_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // SIGKILL: a hung n8n outlives SIGTERM, and the cap must end it.
    execFile(
      n8nBin,
      args,
      { env, cwd: work, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1048576 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** `n8n execute --rawOutput` prints log lines around the run's JSON: take the block from "{" to "}". */
function parseRun(output: string): Omit<RunResult, 'code' | 'output'> {
  const lines = output.split('\n');
  const start = lines.indexOf('{');
  const end = lines.lastIndexOf('}');
  if (start === -1 || end === -1) return { runData: {} };
  const run = JSON.parse(lines.slice(start, end + 1).join('\n')) as {
    data: { resultData: { runData: RunResult['runData']; error?: RunResult['error'] } };
  };
  return { runData: run.data.resultData.runData, error: run.data.resultData.error };
}

async function execute(workflowId: string, timeoutMs?: number): Promise<RunResult> {
  const { code, output } = await n8n(['execute', `--id=${workflowId}`, '--rawOutput'], timeoutMs);
  return { code, output, ...parseRun(output) };
}

function connectlyNode(parameters: Record<string, unknown>, credential = GOOD, position: [number, number] = [300, 0]) {
  return {
    id: randomUUID(),
    name: 'Connectly',
    type: 'n8n-nodes-connectly.connectly',
    typeVersion: 1.1,
    position,
    parameters: {
      resource: 'agent',
      operation: 'sendMessage',
      clientKey: 'customer-1',
      inputType: 'text',
      options: {},
      ...parameters,
    },
    credentials: { connectlyApi: credential },
  };
}

function manualWorkflow(id: string, connectly: ReturnType<typeof connectlyNode> & { onError?: string }) {
  return {
    id,
    name: id,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      {
        id: randomUUID(),
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      connectly,
    ],
    connections: { Start: { main: [[{ node: 'Connectly', type: 'main', index: 0 }]] } },
  };
}

const outputsOf = (run: RunResult): Item[][] => run.runData['Connectly']?.[0]?.data?.main ?? [];

beforeAll(async () => {
  const install = installN8n();
  n8nBin = install.bin;
  work = mkdtempSync(join(tmpdir(), 'connectly-n8n-e2e-'));
  const home = join(work, 'home');
  env = {
    ...n8nEnvironment(install, home, 'connectly-e2e-encryption-key-0123456789'),
    N8N_PORT: String(await freePort()),
    N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    DB_TYPE: 'sqlite',
  };
  // Install the package exactly as a user would: from the tarball npm would publish.
  installCommunityPackage(home, work, env);

  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz' });
  const baseUrl = await mock.start();
  elsewhere = createHttpServer((req, res) => {
    arrivedElsewhere.push(req.headers['x-api-key'] as string | undefined);
    res.end();
  });
  const elsewhereUrl = await listen(elsewhere);
  redirector = createHttpServer((req, res) => {
    redirected.push(req.url ?? '');
    res.writeHead(307, { location: `${elsewhereUrl}/collect` });
    res.end();
  });
  const redirectorUrl = await listen(redirector);
  writeFileSync(
    join(work, 'credentials.json'),
    JSON.stringify([
      { ...GOOD, type: 'connectlyApi', data: { apiKey: KEY, businessId: 'biz', baseUrl } },
      { ...BAD, type: 'connectlyApi', data: { apiKey: `${KEY}-wrong`, businessId: 'biz', baseUrl } },
      { ...REDIRECTED, type: 'connectlyApi', data: { apiKey: KEY, businessId: 'biz', baseUrl: redirectorUrl } },
    ]),
  );
  const imported = await n8n(['import:credentials', '--input=credentials.json']);
  if (imported.code !== 0) throw new Error(`import:credentials failed:\n${imported.output}`);

  const workflows = [
    manualWorkflow('connectlyReplyWf1', connectlyNode({ text: 'Can I talk to a human, please?', output: 'reply' })),
    manualWorkflow('connectlyEventsW1', connectlyNode({ text: 'I want a festive gift', output: 'events' })),
    manualWorkflow('connectlyBadKeyW1', connectlyNode({ text: 'hello', output: 'reply' }, BAD)),
    manualWorkflow('connectlyErrOutW1', {
      ...connectlyNode({ text: 'hello', output: 'reply' }, BAD),
      onError: 'continueErrorOutput',
    }),
    manualWorkflow('connectlyErrRegW1', {
      ...connectlyNode({ text: 'hello', output: 'reply' }, BAD),
      onError: 'continueRegularOutput',
    }),
    manualWorkflow(
      'connectlyIdleStal1',
      connectlyNode({ text: 'hello', output: 'reply', options: { idleTimeout: 1 } }),
    ),
    manualWorkflow(
      'connectlyHeadStal1',
      connectlyNode({ text: 'hello', output: 'reply', options: { timeout: 1, retries: 0 } }),
    ),
    manualWorkflow('connectlyRedirW1', connectlyNode({ text: 'hello', output: 'reply' }, REDIRECTED)),
  ];
  writeFileSync(join(work, 'workflows.json'), JSON.stringify(workflows));
  const wf = await n8n(['import:workflow', '--input=workflows.json']);
  if (wf.code !== 0) throw new Error(`import:workflow failed:\n${wf.output}`);
}, 1_800_000);

afterAll(async () => {
  await mock?.stop();
  for (const server of [redirector, elsewhere]) {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the Connectly node in n8n 2.41', () => {
  it('streams a reply: the whole reply on output 0 and the handover on output 1', async () => {
    const run = await execute('connectlyReplyWf1');
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(0);
    const [reply, handover] = outputsOf(run);
    expect(reply).toHaveLength(1);
    expect(reply?.[0]?.json).toMatchObject({
      clientKey: 'customer-1',
      handover: true,
      text: expect.stringContaining('teammate'),
    });
    expect(handover).toHaveLength(1);
    expect(handover?.[0]?.json).toMatchObject({
      type: 'agentHandoverEvent',
      triggerHandover: true,
      reason: 'The customer asked to talk to a human.',
    });
    expect(handover?.[0]?.json['sessionId']).toBe(reply?.[0]?.json['sessionId']);
    expect(run.output).not.toContain(KEY);
  }, 180_000);

  it('outputs one item per event when asked', async () => {
    const run = await execute('connectlyEventsW1');
    expect(run.code).toBe(0);
    const [events, handovers] = outputsOf(run);
    expect(events?.map((item) => item.json['type'])).toEqual([
      'messageEvent',
      'recommendationEvent',
      'chatSuggestionEvent',
    ]);
    expect(events?.every((item) => JSON.stringify(item.pairedItem) === JSON.stringify({ item: 0 }))).toBe(true);
    expect(handovers).toEqual([]);
  }, 180_000);

  it('a wrong key fails the run with a message naming the n8n credential and what to do, without the key', async () => {
    const run = await execute('connectlyBadKeyW1');
    expect(run.code).not.toBe(0);
    const message = `${run.error?.message ?? ''} ${run.error?.description ?? ''} ${run.runData['Connectly']?.[0]?.error?.message ?? ''}`;
    expect(message).toMatch(
      /Connectly does not accept the AI Agent Key of the "Connectly \(wrong key\)" credential \(Connectly AI Agent API\).*open the "Connectly \(wrong key\)" credential \(Connectly AI Agent API\) and paste the AI Agent Key again/,
    );
    expect(run.output).not.toContain(`${KEY}-wrong`);
  }, 180_000);

  it("On Error → Continue (using error output): a failed item leaves on n8n's error output, not on Reply", async () => {
    const run = await execute('connectlyErrOutW1');
    expect(run.error).toBeUndefined();
    const [reply, handover, failed] = outputsOf(run);
    expect([reply, handover]).toEqual([[], []]);
    expect(failed).toHaveLength(1);
    expect(failed?.[0]?.json).toMatchObject({
      details: { clientKey: 'customer-1', errorDescription: expect.stringMatching(/paste the AI Agent Key again/) },
    });
    expect(String(failed?.[0]?.json.error)).toMatch(/does not accept the AI Agent Key/);
    expect(JSON.stringify(failed)).not.toContain(`${KEY}-wrong`);
  }, 180_000);

  it('On Error → Continue: a failed item stays on Reply, with the error', async () => {
    const run = await execute('connectlyErrRegW1');
    expect(run.error).toBeUndefined();
    const [reply, handover] = outputsOf(run);
    expect(handover).toEqual([]);
    expect(reply).toHaveLength(1);
    expect(reply?.[0]?.json).toMatchObject({
      clientKey: 'customer-1',
      error: expect.stringMatching(/does not accept the AI Agent Key/),
    });
  }, 180_000);

  // The mock's stall lasts until the client leaves: only the node's own timer can end these executions. Each
  // run is capped (a hang shows as the cap's kill, with no run data), and the mock must see the client leave.
  async function expectStallEnded(workflowId: string, fault: Fault, error: RegExp): Promise<void> {
    const abandoned = mock.abandoned;
    mock.inject(fault);
    const run = await execute(workflowId, 60_000);
    const message = `${run.error?.message ?? ''} ${run.runData['Connectly']?.[0]?.error?.message ?? ''}`;
    expect(message).toMatch(error);
    expect(run.code).not.toBe(0);
    await mock.waitForAbandoned(abandoned + 1);
  }

  it('Idle Timeout ends a stream that stalls mid-reply: the execution fails with the idle-timeout error', async () => {
    const fault: Fault = { events: [{ messageEvent: {} }, { messageEvent: {} }], stall: 'body', afterEvents: 1 };
    await expectStallEnded('connectlyIdleStal1', fault, /sent nothing for 1000 ms/);
  }, 120_000);

  it('Timeout ends a call whose answer never starts: the execution fails with the timeout error', async () => {
    await expectStallEnded('connectlyHeadStal1', { stall: 'headers' }, /no response within 1000 ms/);
  }, 120_000);
});

describe('no redirect is followed in n8n', () => {
  it('a 307 to another address fails the run with the redirect named; the key never reaches that address', async () => {
    const run = await execute('connectlyRedirW1');
    expect(run.code).not.toBe(0);
    const message = `${run.error?.message ?? ''} ${run.runData['Connectly']?.[0]?.error?.message ?? ''}`;
    expect(message).toMatch(
      /answered init with a redirect \(HTTP 307 to http:\/\/127\.0\.0\.1:\d+\): redirects are not followed/,
    );
    expect(redirected).toHaveLength(1);
    expect(arrivedElsewhere).toEqual([]);
  }, 180_000);
});

/** An example workflow from examples/n8n, bound to the test credential (and to `patch` for anything else). */
const example = (file: string, id: string, patch?: (node: WorkflowNode) => void) =>
  exampleWorkflow(file, id, GOOD, patch);

describe('the example workflows, served by n8n start', () => {
  let server: ChildProcess;
  let base: string;
  let slack: Server;
  const notifications: unknown[] = [];

  beforeAll(async () => {
    // Stands in for Slack's incoming webhook: records what the handover branch posts.
    slack = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        notifications.push(JSON.parse(body || 'null'));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    const slackUrl = `http://127.0.0.1:${(slack.address() as { port: number }).port}/slack`;
    const workflows = [
      example('chat-with-connectly-agent.json', 'connectlyChatExam'),
      example('handover-notifies-a-human.json', 'connectlyHandExam', (node) => {
        if (node.name === 'Notify a human') node.parameters['url'] = slackUrl;
      }),
      example('chat-trigger-with-connectly.json', 'connectlyChatTrig'),
    ];
    writeFileSync(join(work, 'examples.json'), JSON.stringify(workflows));
    const imported = await n8n(['import:workflow', '--input=examples.json']);
    if (imported.code !== 0) throw new Error(`import:workflow failed:\n${imported.output}`);
    for (const { id } of workflows) {
      const published = await n8n(['publish:workflow', `--id=${id}`]);
      if (published.code !== 0) throw new Error(`publish:workflow failed:\n${published.output}`);
    }
    server = spawn(n8nBin, ['start'], { env, cwd: work, stdio: 'ignore' });
    base = `http://127.0.0.1:${env['N8N_PORT']}`;
    // /healthz answers before production webhooks are registered. Probe with GET: once a POST
    // webhook exists, n8n answers "did you mean to make a POST request" instead of "not registered".
    const deadline = Date.now() + 90_000;
    for (const path of ['connectly-chat', 'connectly-message']) {
      for (;;) {
        const text = await fetch(`${base}/webhook/${path}`).then(
          (r) => r.text(),
          () => '',
        );
        if (/POST request/i.test(text)) break;
        if (Date.now() > deadline)
          throw new Error(`n8n start did not serve /webhook/${path} within 90 s: ${text.slice(0, 300)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    // The Chat Trigger's hosted page (GET) is served once its webhooks are registered.
    for (;;) {
      const status = await fetch(chatUrl()).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`n8n start did not serve the Chat Trigger within 90 s (${status})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 180_000);

  afterAll(async () => {
    await stopN8n(server);
    await new Promise((resolve) => slack?.close(resolve));
  }, 30_000);

  const chatUrl = () => `${base}/webhook/5e2a9c41-connectly-chat-trigger/chat`;

  /** One message through n8n's chat endpoint, as its chat window sends it; the raw chunks it streams back. */
  async function chat(chatInput: string, sessionId: string): Promise<Array<{ type: string; content?: string }>> {
    mock.reset();
    const response = await fetch(chatUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'sendMessage', sessionId, chatInput }),
    });
    expect(response.status).toBe(200);
    return (await response.text())
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as { type: string; content?: string });
  }

  it("chat: sends the agent's messages as chunks while the reply is still being produced", async () => {
    // The mock paces the agent's lines 700 ms apart; two text messages must arrive as two chunks, apart.
    mock.inject({
      events: [
        { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'First part' } } } },
        { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'Second part' } } } },
      ],
      lineDelayMs: 700,
    });
    const started = Date.now();
    const response = await fetch(`${base}/webhook/connectly-chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello', customerId: 'customer-7' }),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const arrivals: Array<{ type: string; content?: string; at: number }> = [];
    let carry = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      carry += decoder.decode(value, { stream: true });
      const lines = carry.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        const chunk = JSON.parse(line) as { type: string; content?: string };
        arrivals.push({ type: chunk.type, content: chunk.content, at: Date.now() - started });
      }
    }
    const items = arrivals.filter((a) => a.type === 'item');
    expect(arrivals[0]?.type).toBe('begin');
    expect(items.map((a) => a.content)).toEqual(['First part', '\n\nSecond part']);
    expect(arrivals.at(-1)?.type).toBe('end');
    // Streamed, not buffered: the first message arrived well before the second was produced.
    expect((items[1]?.at ?? 0) - (items[0]?.at ?? 0)).toBeGreaterThanOrEqual(500);
  }, 60_000);

  it('Chat Trigger: a gift question streams the text, then the products, then the suggestions, as separate messages', async () => {
    const chunks = await chat('I want a festive gift for my wife', 'chat-session-1');
    expect(chunks.map((c) => c.type)).toEqual(['begin', 'item', 'item', 'item', 'end']);
    const [text, products, suggestions] = chunks.filter((c) => c.type === 'item').map((c) => c.content ?? '');
    expect(text).toBe('Here are a few festive ideas she might love:');
    expect(products).toMatch(
      /^\n\n\*\*\[Aurora Silk Scarf\]\(https:\/\/shop\.example\.com\/p\/aurora-scarf\)\*\* — \$49\.90/,
    );
    for (const [title, price, link] of [
      ['Aurora Silk Scarf', '$49.90', 'https://shop.example.com/p/aurora-scarf'],
      ['Juniper Candle Set', '$32.00', 'https://shop.example.com/p/juniper-candles'],
      ['Starlight Earrings', '$89.00', 'https://shop.example.com/p/starlight-earrings'],
    ]) {
      expect(products).toContain(`**[${title}](${link})** — ${price}`);
    }
    expect(suggestions).toBe(
      '\n\nYou can also ask:\n- Do you gift-wrap?\n- What is your return policy?\n- Talk to a human',
    );
    // The defaults read the Chat Trigger's fields: its chat session is the customer key.
    expect(mock.requests.find((r) => r.endpoint === 'init')?.body).toMatchObject({ clientKey: 'chat-session-1' });
  }, 60_000);

  it('Chat Trigger: a handover question streams the handover notice', async () => {
    const chunks = await chat('Can I talk to a human, please?', 'chat-session-2');
    const items = chunks.filter((c) => c.type === 'item').map((c) => c.content);
    expect(items[0]).toMatch(/teammate/);
    expect(items.at(-1)).toBe('\n\n_A member of our team will take over this conversation._');
    expect(chunks.at(-1)?.type).toBe('end');
  }, 60_000);

  it('Chat Trigger: two messages of one chat session continue one Connectly session', async () => {
    await chat('hello', 'chat-session-3');
    const started = mock.requests.find((r) => r.endpoint === 'init');
    expect(started?.body).toMatchObject({ clientKey: 'chat-session-3' });
    await chat('tell me more', 'chat-session-3');
    expect(mock.requests.map((r) => r.endpoint)).toEqual(['invoke']);
  }, 60_000);

  describe('session memory: the messages of a customer, each its own execution, continue one session', () => {
    const post = (customerId: string, message: string) =>
      fetch(`${base}/webhook/connectly-message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message, customerId }),
      }).then(async (r) => {
        expect(r.status).toBe(200);
        return (await r.json()) as { reply: string; sessionId: string };
      });
    const requestsOf = (customerId: string) =>
      mock.requests.filter((r) => (r.body as { clientKey?: string } | undefined)?.clientKey === customerId);
    const initsOf = (customerId: string) => requestsOf(customerId).filter((r) => r.endpoint === 'init').length;

    it('two executions for one customer share one session: one init at Connectly', async () => {
      const first = await post('memory-1', 'hello');
      const second = await post('memory-1', 'tell me more');
      expect(second.sessionId).toBe(first.sessionId);
      expect(requestsOf('memory-1').map((r) => r.endpoint)).toEqual(['init', 'invoke', 'invoke']);
      expect(second.reply).toContain('tell me more');
    }, 60_000);

    it('two customers get two sessions', async () => {
      const a = await post('memory-2a', 'hello');
      const b = await post('memory-2b', 'hello');
      const a2 = await post('memory-2a', 'again');
      expect(b.sessionId).not.toBe(a.sessionId);
      expect(a2.sessionId).toBe(a.sessionId);
      expect([initsOf('memory-2a'), initsOf('memory-2b')]).toEqual([1, 1]);
    }, 60_000);

    it('a burst of concurrent executions for one new customer starts one session, turns one at a time', async () => {
      mock.clearRecords();
      const line = { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'noted' } } } };
      mock.inject({ events: [line, line], lineDelayMs: 100, times: 6 });
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post('memory-3', `part ${i}`)));
      expect(new Set(answers.map((a) => a.sessionId)).size).toBe(1);
      expect(initsOf('memory-3')).toBe(1);
      expect(requestsOf('memory-3').filter((r) => r.endpoint === 'invoke')).toHaveLength(6);
      expect(mock.overlaps).toBe(0);
    }, 60_000);

    it('a session Connectly has forgotten is renewed: the message is answered in a new session, kept after', async () => {
      const first = await post('memory-4', 'hello');
      mock.forget(first.sessionId);
      const second = await post('memory-4', 'are you there?');
      expect(second.sessionId).not.toBe(first.sessionId);
      expect(second.reply).toContain('are you there?');
      const third = await post('memory-4', 'thanks');
      expect(third.sessionId).toBe(second.sessionId);
      expect(requestsOf('memory-4').map((r) => [r.endpoint, (r.body as { sessionId?: string }).sessionId])).toEqual([
        ['init', undefined],
        ['invoke', first.sessionId],
        ['invoke', first.sessionId],
        ['init', undefined],
        ['invoke', second.sessionId],
        ['invoke', second.sessionId],
      ]);
    }, 60_000);
  });

  it('handover: answers the customer, and notifies a human only when the agent hands over', async () => {
    const post = (message: string) =>
      fetch(`${base}/webhook/connectly-message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message, customerId: 'customer-9' }),
      }).then((r) => r.json() as Promise<{ reply: string; sessionId: string; handover: boolean }>);

    const ordinary = await post('hello');
    expect(ordinary).toMatchObject({ handover: false, reply: expect.stringContaining('demo shopping assistant') });
    expect(notifications).toEqual([]);

    const handover = await post('Can I talk to a human, please?');
    expect(handover).toMatchObject({ handover: true, reply: expect.stringContaining('teammate') });
    // The customer's answer can go out before the handover branch has run: wait for it (bounded).
    for (let waited = 0; notifications.length === 0 && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(notifications).toEqual([
      {
        text: `Customer customer-9 needs a human: The customer asked to talk to a human. (session ${handover.sessionId})`,
      },
    ]);
  }, 60_000);
});
