// Every TypeScript snippet of the READMEs, exactly as written: type-checked, then run against the mock
// server (and a real redis-server) with CONNECTLY_* and REDIS_URL pointing at them. A snippet that serves
// HTTP is called: over SSE as a browser would, or as a webhook by a scripted WhatsApp customer.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConnectlyClient } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { firstValueFrom } from 'rxjs';
import { type RunningRedis, startRedis } from '../../packages/session-redis/test/redis-server.cjs';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
// Each snippet runs in a fresh node process (the NestJS one starts an app): seconds on a busy machine.
jest.setTimeout(60_000);

// Inside the repository, so the snippets import the packages as an app would, through node_modules.
const work = join(root, 'node_modules', '.cache', 'readme-snippets');
const READMES = [
  'README.md',
  'packages/agent-graph/README.md',
  'packages/mock-server/README.md',
  'nest-module/README.md',
];
// The NestJS module's README shows parts of an app (a module, a controller): those are type-checked only.
const PARTS_ALLOWED = 'nest-module/README.md';
const WEBHOOK_SECRET = 'readme-secret';

interface Snippet {
  readme: string;
  name: string;
  code: string;
  /** `program` prints and ends; `sse` and `webhook` serve on PORT until stopped; `part` is type-checked only. */
  kind: 'program' | 'sse' | 'webhook' | 'part';
}

function kindOf(code: string): Snippet['kind'] {
  if (code.includes('.listen(Number(process.env.PORT')) return code.includes('@Sse(') ? 'sse' : 'webhook';
  return code.includes('console.log(') ? 'program' : 'part';
}

function snippetsOf(readme: string): Snippet[] {
  const text = readFileSync(join(root, readme), 'utf8');
  const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  return blocks.map((code, index) => ({
    readme,
    name: `${readme.replace(/[/.]/g, '_')}_${index + 1}`,
    code,
    kind: kindOf(code),
  }));
}

const snippets = READMES.flatMap(snippetsOf);
const ofKind = (kind: Snippet['kind']): Snippet[] => snippets.filter((snippet) => snippet.kind === kind);

let mock: MockConnectlyServer;
let redis: RunningRedis;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  for (const { name, code } of snippets) writeFileSync(join(work, `${name}.ts`), code);
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
        outDir: 'out',
      },
      include: ['*.ts'],
    }),
  );
  try {
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', work], { timeout: 120_000 });
  } catch (error) {
    throw new Error(`the README snippets do not type-check:\n${(error as { stdout?: string }).stdout}`);
  }
  mock = new MockConnectlyServer({
    apiKey: 'readme-key',
    businessId: 'readme-business',
    messaging: { webhookSecret: WEBHOOK_SECRET, timeScale: 0.001 },
  });
  const baseUrl = await mock.start();
  redis = await startRedis();
  env = {
    ...process.env,
    CONNECTLY_API_KEY: 'readme-key',
    CONNECTLY_MESSAGING_API_KEY: 'readme-key',
    CONNECTLY_BUSINESS_ID: 'readme-business',
    CONNECTLY_BASE_URL: baseUrl,
    CONNECTLY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    REDIS_URL: redis.url,
    PORT: '0',
  };
}, 180_000);

afterAll(async () => {
  await mock?.stop();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(() => mock.clearRecords());

/** Each invoke the mock received, as "session: input": a turn sent twice would appear twice. */
function turns(): string[] {
  return mock.requests
    .filter((request) => request.endpoint === 'invoke')
    .map((request) => JSON.stringify(request.body));
}

/** Starts a serving snippet and resolves with the first URL it prints; `stop()` ends it. */
async function serve(name: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(work, 'out', `${name}.js`)], { env });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await exited;
  };
  let out = '';
  child.stderr.on('data', (data: Buffer) => (out += data.toString()));
  try {
    let timer: NodeJS.Timeout | undefined;
    const url = await new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the snippet printed no URL within 30 s:\n${out}`)), 30_000);
      child.stdout.on('data', (data: Buffer) => {
        out += data.toString();
        const match = /(http:\/\/\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`the snippet exited (${code}) before serving:\n${out}`)));
    }).finally(() => clearTimeout(timer));
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

it('the READMEs have snippets of every kind, and outside the NestJS module’s README each is a whole app', () => {
  expect(ofKind('program').length).toBeGreaterThanOrEqual(5);
  expect(ofKind('sse').length).toBeGreaterThanOrEqual(2);
  expect(ofKind('webhook').length).toBeGreaterThanOrEqual(2);
  expect(ofKind('part').map((snippet) => snippet.readme)).toEqual(ofKind('part').map(() => PARTS_ALLOWED));
});

describe.each(ofKind('program'))('$name', ({ name, code }) => {
  it('runs to the end without an error, and sends no turn twice', async () => {
    const { stdout, stderr } = await run(process.execPath, [join(work, 'out', `${name}.js`)], { env, timeout: 60_000 });
    expect(stderr).toBe('');
    expect(stdout).not.toBe('');
    expect(new Set(turns()).size).toBe(turns().length);
    // A snippet that starts its own mock server talks to it, not to this one; the store conformance suite
    // and the log-kept store talk to no agent.
    const storeOnly = code.includes('connectly-agent-graph/testing') || code.includes('new LogConversationStore(');
    if (!code.includes('new MockConnectlyServer') && !storeOnly) {
      expect(turns().length).toBeGreaterThan(0);
    }
  });
});

describe.each(ofKind('sse'))('$name', ({ name }) => {
  it('serves the agent reply over SSE, one upstream turn per request', async () => {
    const { url, stop } = await serve(name);
    try {
      const client = new ConnectlyClient({
        apiKey: 'readme-key',
        businessId: 'readme-business',
        baseUrl: env['CONNECTLY_BASE_URL'],
      });
      const { sessionId } = await firstValueFrom(client.init({ clientKey: 'customer-123' }));
      mock.clearRecords();
      // Each snippet reads what it needs: a session by its id, or a conversation by the customer's key.
      const query = `sessionId=${sessionId}&clientKey=customer-123&text=${encodeURIComponent('gift ideas')}`;
      const body = await (await fetch(`${url}?${query}`)).text();
      expect(body).toContain('event: recommendationEvent');
      expect(body).toContain('event: connectly.done');
      expect(turns()).toHaveLength(1);
    } finally {
      await stop();
    }
  });
});

let customers = 0;

describe.each(ofKind('webhook'))('$name', ({ name, code }) => {
  it('registers its webhook, takes a signed delivery, answers the customer, and refuses a bad signature', async () => {
    const { url, stop } = await serve(name);
    try {
      const forged = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-connectly-hmac-sha256': 'bm90IHRoZSBzaWduYXR1cmU=' },
        body: '{"entity":{"customer":{"id":"+15550009999"}}}',
      });
      expect(forged.status).toBe(401);
      customers += 1;
      const customer = mock.customer(`+155500012${customers}`); // a new customer: nothing received yet
      const delivery = await customer.says('I want a festive gift');
      expect(delivery.address).toBe(url);
      expect(delivery.outcome).toBe('delivered');
      const [first] = await customer.waitForMessages(1, 30_000);
      expect(first?.message).toBeDefined();
      // The whole loop asks the agent once per message; the NestJS guard's handler echoes without it.
      const asksAgent = code.includes('agent.session(') || code.includes('new ConversationEngine(');
      expect(turns()).toHaveLength(asksAgent ? 1 : 0);
    } finally {
      await stop();
    }
  });
});
