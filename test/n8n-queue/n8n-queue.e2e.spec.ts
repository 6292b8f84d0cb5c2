// The Connectly node in n8n's queue mode: a real cluster (Redis, Postgres, `n8n start` and two `n8n worker`
// processes) runs the example workflows through production webhooks on the main process, against the mock
// Connectly server. What must hold when executions run on workers: replies, streaming, spread, stop, crash.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MockConnectlyServer, demoReply } from 'connectly-agent-graph-mock';
import { type Cluster, startCluster } from './cluster';
import { SESSIONS_TABLE, sharedLoopWorkflow, sharedStateWorkflow } from './workflows';
import { type Recorder, example, readChunks, recordPosts } from '../support/n8n';

const KEY = 'n8n-queue-key-DISTINCTIVE-7731';
const CREDENTIAL = { id: 'credQueueConnect', name: 'Connectly (mock)' };
const HANDOVER_WF = 'queueHandoverWf01';
const CHAT_WF = 'queueChatWf000001';
const SESSIONS_WF = 'queueSessionsWf01';
const MESSAGING_CREDENTIAL = { id: 'credQueueMessag1', name: 'Connectly Messaging (mock)' };
const REDIS_CREDENTIAL = { id: 'credQueueRedis01', name: 'Shared state (Redis)' };
const POSTGRES_CREDENTIAL = { id: 'credQueuePgsql01', name: 'Shared state (Postgres)' };
const SHARED_REDIS_WF = 'queueSharedRedis1';
const SHARED_POSTGRES_WF = 'queueSharedPgsql1';
const LOCAL_WF = 'queueSharedNone01';
const LOOP_WF = 'queueSharedLoop01';
const LOOP_WEBHOOK_ID = '5d1c7a3e-2b4f-4c6d-8e9a-shared-loop';

let mock: MockConnectlyServer;
let cluster: Cluster;
let slack: Recorder;
/** The id of the `connectly_sessions` data table the sessions example keeps its rows in. */
let sessionsTable: string;

/** The customer's words in an invoke request (the node sends one text message). */
function saidIn(inputEvents: unknown[]): string {
  const first = inputEvents[0] as { messageEvent?: { content?: { textContent?: { text?: string } } } };
  return first.messageEvent?.content?.textContent?.text ?? '';
}

interface Answer {
  reply: string;
  sessionId: string;
  handover: boolean;
}

async function post(path: string, body: object): Promise<Response> {
  return fetch(`${cluster.base}/webhook/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const ask = (message: string, customerId: string) =>
  post('connectly-message', { message, customerId }).then((r) => r.json() as Promise<Answer>);

/** The workflow's executions after `afterId`, oldest first, as n8n recorded them in Postgres. */
function executionsOf(workflowId: string, afterId = 0): Array<{ id: string; status: string; mode: string }> {
  return cluster
    .sql(
      `select id, status, mode from execution_entity where "workflowId" = '${workflowId}' and id > ${afterId} order by id`,
    )
    .map(([id, status, mode]) => ({ id: id as string, status: status as string, mode: mode as string }));
}

const lastExecutionId = () => Number(cluster.sql('select coalesce(max(id), 0) from execution_entity')[0]?.[0] ?? 0);

/** Which worker started `executionId`, from the workers' logs. */
const workerOf = (executionId: string) => cluster.workers.find((worker) => worker.started().includes(executionId));

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A message to the sessions example, which keeps each customer's session in the data table. */
const askOnce = (message: string, customerId: string) =>
  post('connectly-queue-message', { message, customerId }).then((r) => r.json() as Promise<Answer>);

/** The sessions the mock started for `clientKey`, and the init requests it received for it. */
const sessionsOf = (clientKey: string) => [...mock.sessions.values()].filter((s) => s.clientKey === clientKey);
const initsFor = (clientKey: string) =>
  mock.requests.filter(
    (request) => request.endpoint === 'init' && (request.body as { clientKey?: string }).clientKey === clientKey,
  );

/** The session ids the sessions example stored for `clientKey`, in the order of their rows. */
const claimsOf = (clientKey: string) =>
  cluster
    .sql(`select "sessionId" from "data_table_user_${sessionsTable}" where "clientKey" = '${clientKey}' order by id`)
    .map(([sessionId]) => sessionId);

const invokes = (since: number) => mock.requests.slice(since).filter((request) => request.endpoint === 'invoke');

beforeAll(async () => {
  slack = await recordPosts();

  // The demo agent, except that "check N" is answered with who said what: concurrent answers can be told apart.
  mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: 'biz',
    // Deliveries without callback data: the Trigger can tell the workflow's own echoes by content only.
    messaging: { webhookSecret: 'queue-webhook-secret', timeScale: 0.01, echoCallbackData: false },
    agent: (inputEvents, session) => {
      const said = saidIn(inputEvents);
      if (!said.startsWith('check ')) return demoReply(inputEvents);
      return [
        { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: `${session.clientKey}: ${said}` } } } },
      ];
    },
  });
  const baseUrl = await mock.start();
  cluster = await startCluster({
    credentials: ({ redisPort, postgresPort }) => [
      { ...CREDENTIAL, type: 'connectlyApi', data: { apiKey: KEY, businessId: 'biz', baseUrl } },
      {
        ...MESSAGING_CREDENTIAL,
        type: 'connectlyMessagingApi',
        data: { apiKey: KEY, businessId: 'biz', baseUrl, webhookSecret: 'queue-webhook-secret' },
      },
      // Database 1 of the queue's Redis: apart from n8n's own keys.
      { ...REDIS_CREDENTIAL, type: 'redis', data: { host: '127.0.0.1', port: redisPort, database: 1, password: '' } },
      {
        ...POSTGRES_CREDENTIAL,
        type: 'postgres',
        data: { host: '127.0.0.1', port: postgresPort, database: 'n8n', user: 'n8n', password: '', ssl: 'disable' },
      },
    ],
    workflows: [
      sharedStateWorkflow(SHARED_REDIS_WF, 'connectly-shared', CREDENTIAL, {
        kind: 'redis',
        credential: REDIS_CREDENTIAL,
      }),
      sharedStateWorkflow(SHARED_POSTGRES_WF, 'connectly-shared-pg', CREDENTIAL, {
        kind: 'postgres',
        credential: POSTGRES_CREDENTIAL,
      }),
      sharedStateWorkflow(LOCAL_WF, 'connectly-local', CREDENTIAL, undefined),
      sharedLoopWorkflow(
        LOOP_WF,
        LOOP_WEBHOOK_ID,
        { connectlyApi: CREDENTIAL, connectlyMessagingApi: MESSAGING_CREDENTIAL },
        { kind: 'redis', credential: REDIS_CREDENTIAL },
      ),
      example('handover-notifies-a-human.json', HANDOVER_WF, CREDENTIAL, (node) => {
        if (node.name === 'Notify a human') node.parameters['url'] = slack.url;
      }),
      example('chat-with-connectly-agent.json', CHAT_WF, CREDENTIAL),
      example('queue-mode-sessions.json', SESSIONS_WF, CREDENTIAL),
    ],
    dataTables: [SESSIONS_TABLE],
    // A second process taking production webhooks, as behind a load balancer: a redelivery may reach it.
    webhookProcesses: 1,
  });
  sessionsTable = cluster.dataTables[SESSIONS_TABLE.name] as string;
}, 1_800_000);

afterAll(async () => {
  await cluster?.stop();
  await mock?.stop();
  await slack?.close();
}, 120_000);

/** One conversation's steps through a shared-state workflow's webhooks (`<path>-message` and so on). */
interface Step {
  output: 'reply' | 'handover' | 'recorded' | 'released';
  text?: string;
  sessionId?: string;
  held?: boolean;
  reason?: string;
  recorded?: boolean;
  released?: boolean;
  pendingEvents?: number;
}
const steps = (path: string) => {
  const step = (name: string, body: object) => post(`${path}-${name}`, body).then((r) => r.json() as Promise<Step>);
  return {
    message: (customerId: string, message: string) => step('message', { customerId, message }),
    human: (customerId: string, text: string) => step('human', { customerId, text }),
    release: (customerId: string) => step('release', { customerId }),
  };
};

/** The worker that ran the workflow's newest execution after `afterId`, once it succeeded. */
const lastRanOn = (workflowId: string, afterId: number) =>
  waitFor(() => {
    const last = executionsOf(workflowId, afterId).at(-1);
    return last?.status === 'success' ? workerOf(last.id)?.name : undefined;
  }, `the newest execution of ${workflowId} to succeed`);

const userSaid = (text: string) => ({ messageEvent: { role: 'USER', content: { textContent: { text } } } });
const assistantSaid = (text: string) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } });

/** The loop workflow's address at Connectly, registered by its Trigger when the workflow was published. */
const loopAddress = () =>
  waitFor(
    () => [...mock.messaging.webhooks.values()].find((hook) => hook.address.includes(LOOP_WEBHOOK_ID))?.address,
    "the loop's webhook registration",
  );

describe('n8n 2.41 queue mode: Shared State (a chat memory on the Connectly nodes)', () => {
  /** Sends the customer's messages until two ran on different workers (at most 10); all continue one session. */
  async function oneSessionAcrossWorkers(path: string, workflowId: string) {
    const customer = `customer-${randomUUID()}`;
    const before = lastExecutionId();
    const answers: Step[] = [];
    const ranOn: Array<string | undefined> = [];
    while (answers.length < 2 || (new Set(ranOn).size < 2 && answers.length < 10)) {
      answers.push(await steps(path).message(customer, `check ${answers.length + 1}`));
      ranOn.push(await lastRanOn(workflowId, before));
    }
    answers.forEach((answer, index) =>
      expect(answer).toMatchObject({ output: 'reply', text: `${customer}: check ${index + 1}` }),
    );
    expect(ranOn.every((name) => name !== undefined)).toBe(true);
    expect(ranOn.some((name, index) => index > 0 && name !== ranOn[index - 1])).toBe(true);
    expect(initsFor(customer)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.sessionId))).toEqual(new Set([answers[0]?.sessionId]));
    expect(sessionsOf(customer)).toEqual([expect.objectContaining({ closed: false, turns: answers.length })]);
  }

  it("Redis Chat Memory: a customer's messages on two different workers continue one session", async () => {
    await oneSessionAcrossWorkers('connectly-shared', SHARED_REDIS_WF);
  }, 300_000);

  it("Postgres Chat Memory: a customer's messages on two different workers continue one session", async () => {
    await oneSessionAcrossWorkers('connectly-shared-pg', SHARED_POSTGRES_WF);
  }, 300_000);

  it('a hold set on one worker is honoured on the other; after Release the agent hears what was said meanwhile', async () => {
    const shared = steps('connectly-shared');
    const customer = `customer-${randomUUID()}`;
    const first = await shared.message(customer, 'check 1');
    const since = mock.requests.length;
    const before = lastExecutionId();
    expect(await shared.human(customer, 'Sam here')).toMatchObject({ output: 'recorded', recorded: true, held: true });
    const heldOn = await lastRanOn(SHARED_REDIS_WF, before);

    // The customer writes until a message runs on the other worker (at most 10): each one is held.
    const held: string[] = [];
    let ranOn = heldOn;
    while (ranOn === heldOn && held.length < 10) {
      const text = `check held ${held.length + 1}`;
      const answer = await shared.message(customer, text);
      held.push(text);
      ranOn = await lastRanOn(SHARED_REDIS_WF, before);
      expect(answer).toMatchObject({ output: 'handover', held: true, reason: 'human-reply', text });
    }
    expect(ranOn).not.toBe(heldOn);
    expect(invokes(since)).toEqual([]);

    expect(await shared.release(customer)).toMatchObject({
      output: 'released',
      released: true,
      pendingEvents: 1 + held.length,
    });
    const next = await shared.message(customer, 'check after');
    expect(next).toMatchObject({ output: 'reply', sessionId: first.sessionId });
    expect(invokes(since).map((request) => (request.body as { inputEvents: unknown[] }).inputEvents)).toEqual([
      [assistantSaid('Sam here'), ...held.map(userSaid), userSaid('check after')],
    ]);
    expect(initsFor(customer)).toHaveLength(1);
  }, 300_000);

  it("the Trigger's echo of a send made on another worker holds nothing: Record Human Reply knows it for the workflow's own", async () => {
    await loopAddress();
    const phone = `+1555${String(Date.now()).slice(-7)}`;
    const customer = mock.messaging.customer(phone, { businessId: 'biz' });
    const cycles: Array<[string | undefined, string | undefined]> = [];
    // Each message: the customer's execution (the agent's reply sent), then its echo's (Record Human Reply);
    // repeated until the two ran on different workers (at most 6 times).
    while (!cycles.some(([sent, echoed]) => sent !== echoed) && cycles.length < 6) {
      const text = `check ${cycles.length + 1}`;
      const before = lastExecutionId();
      await customer.says(text);
      const [reply, echo] = await waitFor(() => {
        const found = executionsOf(LOOP_WF, before);
        return found.length >= 2 && found.every((e) => e.status === 'success') ? found : undefined;
      }, 'the reply and its echo to be handled');
      expect(customer.received.at(-1)?.message).toEqual({ text: `${phone}: ${text}` });
      const [[data] = []] = cluster.sql(`select data from execution_data where "executionId" = ${echo?.id}`);
      expect(data).toContain('"ownEcho":true');
      cycles.push([workerOf(reply?.id as string)?.name, workerOf(echo?.id as string)?.name]);
    }
    expect(cycles.some(([sent, echoed]) => sent !== echoed)).toBe(true);
  }, 300_000);

  it('a redelivery that reaches another webhook process runs again but does nothing again: the agent hears the message once, the customer gets one reply', async () => {
    const { pathname } = new URL(await loopAddress());
    const phone = `+1556${String(Date.now()).slice(-7)}`;
    const customer = mock.messaging.customer(phone, { businessId: 'biz' });
    const before = lastExecutionId();
    const since = mock.requests.length;
    const delivery = await customer.says('check redelivered');
    expect(delivery.outcome).toBe('delivered');
    const succeeded = (count: number) => () => {
      const found = executionsOf(LOOP_WF, before);
      return found.length >= count && found.every((e) => e.status === 'success') ? found : undefined;
    };
    await waitFor(succeeded(2), 'the message and its echo to be handled');

    // Connectly delivers it again (its first answer was lost, say), and the load balancer picks the other process.
    const [other] = cluster.webhooks;
    const response = await fetch(`${other?.url}${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-connectly-hmac-sha256': delivery.signature },
      body: delivery.body,
    });
    expect(response.status).toBe(200);
    // That process had not seen it: it starts an execution, whose agent step finds the delivery taken.
    const runs = await waitFor(succeeded(3), 'the redelivery to be handled');
    const repeat = runs.at(-1) as { id: string };
    expect(
      cluster.sql(`select value from execution_metadata where "executionId" = ${repeat.id} and key = 'Connectly'`),
    ).toEqual([['a repeat already taken']]);
    const heard = invokes(since).filter((request) => (request.body as { clientKey?: string }).clientKey === phone);
    expect(heard).toHaveLength(1);
    expect(customer.received.map((received) => received.message)).toEqual([{ text: `${phone}: check redelivered` }]);
  }, 300_000);

  it('without a memory, the same workflow answers as before: the agent replies, and Record Human Reply holds', async () => {
    const local = steps('connectly-local');
    const customer = `customer-${randomUUID()}`;
    const before = lastExecutionId();
    expect(await local.message(customer, 'check 1')).toMatchObject({
      output: 'reply',
      text: `${customer}: check 1`,
      sessionId: expect.any(String),
    });
    expect(await local.human(customer, 'Sam here')).toMatchObject({ output: 'recorded', recorded: true, held: true });
    const executions = await waitFor(() => {
      const found = executionsOf(LOCAL_WF, before);
      return found.length === 2 && found.every((e) => e.status === 'success') ? found : undefined;
    }, 'both executions to succeed');
    for (const { id } of executions) expect(workerOf(id)).toBeDefined();
  }, 120_000);
});

describe('n8n 2.41 queue mode: main + two workers', () => {
  it('answers with the reply and the handover flag from a worker, and routes the handover', async () => {
    const before = lastExecutionId();
    const ordinary = await ask('hello', 'customer-q1');
    expect(ordinary).toMatchObject({ handover: false, reply: expect.stringContaining('demo shopping assistant') });

    const handover = await ask('Can I talk to a human, please?', 'customer-q2');
    expect(handover).toMatchObject({ handover: true, reply: expect.stringContaining('teammate') });
    // The customer's answer can go out before the handover branch has run: wait for it (bounded).
    await waitFor(() => (slack.received.length > 0 ? true : undefined), 'the handover notification', 10_000);
    expect(slack.received).toEqual([
      {
        text: `Customer customer-q2 needs a human: The customer asked to talk to a human. (session ${handover.sessionId})`,
      },
    ]);

    // Both ran as webhook executions, each on a worker, never on main.
    const executions = await waitFor(() => {
      const found = executionsOf(HANDOVER_WF, before);
      return found.length === 2 && found.every((e) => e.status === 'success') ? found : undefined;
    }, 'both executions to be recorded as successful');
    expect(executions.map((e) => e.mode)).toEqual(['webhook', 'webhook']);
    for (const { id } of executions) expect(workerOf(id)).toBeDefined();
    expect(cluster.main.entries().some((entry) => /^Worker started/.test(String(entry['message'])))).toBe(false);
  }, 120_000);

  it('streams the chat reply from a worker: the first chunk arrives well before the reply ends', async () => {
    // The mock paces the agent's lines 700 ms apart; each text message must arrive as its own chunk.
    mock.inject({
      events: [
        { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'First part' } } } },
        { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'Second part' } } } },
        { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'Third part' } } } },
      ],
      lineDelayMs: 700,
    });
    const before = lastExecutionId();
    const started = Date.now();
    const response = await post('connectly-chat', { message: 'hello', customerId: 'customer-q3' });
    const arrivals = await readChunks(response, started);
    const items = arrivals.filter((a) => a.type === 'item');
    expect(arrivals[0]?.type).toBe('begin');
    // Each message after the first opens with a blank line, so the chat shows them apart.
    expect(items.map((a) => a.content)).toEqual(['First part', '\n\nSecond part', '\n\nThird part']);
    expect(arrivals.at(-1)?.type).toBe('end');
    // Relayed as produced, not buffered until the end: the last message came at least 1 s after the first.
    expect((items[2]?.at ?? 0) - (items[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);

    const [execution] = await waitFor(() => {
      const found = executionsOf(CHAT_WF, before);
      return found[0]?.status === 'success' ? found : undefined;
    }, 'the chat execution to be recorded');
    expect(workerOf(execution?.id as string)).toBeDefined();
  }, 120_000);

  it('relays 100 messages from a worker in order, none lost', async () => {
    const texts = Array.from({ length: 100 }, (_, index) => `message ${index + 1}`);
    mock.inject({
      events: texts.map((text) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } })),
    });
    const response = await post('connectly-chat', { message: 'hello', customerId: 'customer-q4' });
    const chunks = await readChunks(response, Date.now());
    expect(chunks.filter((chunk) => chunk.type === 'item').map((chunk) => chunk.content)).toEqual(
      texts.map((text, index) => (index === 0 ? text : `\n\n${text}`)),
    );
    expect(chunks[0]?.type).toBe('begin');
    expect(chunks.at(-1)?.type).toBe('end');
  }, 120_000);

  it('answers 20 concurrent conversations correctly, spread over both workers', async () => {
    // Each reply waits 1.5 s before its headers, so the 20 executions overlap and no one worker can take them all.
    mock.inject({ endpoint: 'invoke', times: 20, delayMs: 1500 });
    const before = lastExecutionId();
    const customers = Array.from({ length: 20 }, (_, index) => `customer-c${index + 1}`);
    const answers = await Promise.all(customers.map((customer) => ask(`check ${customer}`, customer)));
    answers.forEach((answer, index) =>
      expect(answer).toMatchObject({
        reply: `${customers[index]}: check ${customers[index]}`,
        handover: false,
      }),
    );
    expect(new Set(answers.map((answer) => answer.sessionId)).size).toBe(20);

    const executions = await waitFor(() => {
      const found = executionsOf(HANDOVER_WF, before);
      return found.length === 20 && found.every((e) => e.status === 'success') ? found : undefined;
    }, 'the 20 executions to be recorded');
    const perWorker = cluster.workers.map(
      (worker) => executions.filter((execution) => worker.started().includes(execution.id)).length,
    );
    expect(perWorker.reduce((sum, count) => sum + count, 0)).toBe(20);
    for (const count of perWorker) expect(count).toBeGreaterThan(0);
  }, 180_000);

  it('continues one session for a customer whose consecutive messages run on different workers', async () => {
    const customer = `customer-${randomUUID()}`;
    const before = lastExecutionId();
    const answers: Answer[] = [];
    const workersSoFar = () => new Set(executionsOf(SESSIONS_WF, before).map((e) => workerOf(e.id)?.name));
    // Idle workers take turns at the queue; more messages are sent (up to 10) until both have run one.
    while (answers.length < 4 || (workersSoFar().size < 2 && answers.length < 10)) {
      answers.push(await askOnce(`check ${answers.length + 1}`, customer));
    }
    answers.forEach((answer, index) => expect(answer.reply).toBe(`${customer}: check ${index + 1}`));

    const executions = await waitFor(() => {
      const found = executionsOf(SESSIONS_WF, before);
      return found.length === answers.length && found.every((e) => e.status === 'success') ? found : undefined;
    }, 'the executions to be recorded');
    const ranOn = executions.map((execution) => workerOf(execution.id)?.name);
    expect(ranOn.every((name) => name !== undefined)).toBe(true);
    // At least one message ran on another worker than the message before it.
    expect(ranOn.some((name, index) => index > 0 && name !== ranOn[index - 1])).toBe(true);

    // One init for the customer, and every message continued its session.
    const [session] = answers;
    expect(initsFor(customer)).toHaveLength(1);
    expect(answers.map((answer) => answer.sessionId)).toEqual(answers.map(() => session?.sessionId));
    expect(sessionsOf(customer)).toEqual([expect.objectContaining({ closed: false, turns: answers.length })]);
    expect(claimsOf(customer)).toEqual([session?.sessionId]);
  }, 300_000);

  it('a burst of first messages converges on one session: the first claim, which every message continues', async () => {
    const customer = `customer-${randomUUID()}`;
    const burst = 8;
    const before = lastExecutionId();
    // Each init waits 1 s before answering, so the burst's messages look the customer up before any has
    // claimed it, and start sessions at once.
    mock.inject({ endpoint: 'init', times: burst, delayMs: 1000 });
    const answers = await Promise.all(
      Array.from({ length: burst }, (_, index) => askOnce(`check ${index + 1}`, customer)),
    );
    answers.forEach((answer, index) => expect(answer.reply).toBe(`${customer}: check ${index + 1}`));
    const later: Answer[] = [];
    for (let index = 1; index <= 3; index += 1) later.push(await askOnce(`check later ${index}`, customer));

    // The closing of the extra sessions runs after the answer: wait for every execution to end.
    const executions = await waitFor(() => {
      const found = executionsOf(SESSIONS_WF, before);
      return found.length === burst + 3 && found.every((e) => e.status === 'success') ? found : undefined;
    }, 'the executions to be recorded');
    const perWorker = cluster.workers.map(
      (worker) => executions.slice(0, burst).filter((execution) => worker.started().includes(execution.id)).length,
    );
    for (const count of perWorker) expect(count).toBeGreaterThan(0);

    // The race happened: several messages started a session.
    const started = sessionsOf(customer);
    expect(started.length).toBeGreaterThan(1);
    expect(initsFor(customer)).toHaveLength(started.length);
    // One row is left, the first claim; every message, in the burst and after it, continued its session.
    const [winner] = claimsOf(customer);
    expect(claimsOf(customer)).toEqual([winner]);
    expect(new Set([...answers, ...later].map((answer) => answer.sessionId))).toEqual(new Set([winner]));
    expect(mock.sessions.get(winner as string)).toMatchObject({ closed: false, turns: burst + 3 });
    // Every other session started in the burst was closed before anything was sent to it.
    for (const session of started.filter((s) => s.sessionId !== winner)) {
      expect(session).toMatchObject({ closed: true, turns: 0 });
    }
    // Init delays the burst did not use must not slow the tests after it.
    mock.reset();
  }, 300_000);

  it('replaces a session Connectly has forgotten: the message goes once more, in a new session later messages continue', async () => {
    const customer = `customer-${randomUUID()}`;
    const first = await askOnce('check 1', customer);
    mock.forget(first.sessionId);
    const since = mock.requests.length;
    const second = await askOnce('check 2', customer);
    expect(second.reply).toBe(`${customer}: check 2`);
    expect(second.sessionId).not.toBe(first.sessionId);
    const third = await askOnce('check 3', customer);
    expect(third).toMatchObject({ reply: `${customer}: check 3`, sessionId: second.sessionId });

    // The forgotten session answered 404 before any reply; the message was then sent once in the new one.
    const sent = invokes(since).map((request) => request.body as { sessionId: string; inputEvents: unknown[] });
    expect(sent.map((body) => [body.sessionId, saidIn(body.inputEvents)])).toEqual([
      [first.sessionId, 'check 2'],
      [second.sessionId, 'check 2'],
      [second.sessionId, 'check 3'],
    ]);
    expect(initsFor(customer)).toHaveLength(2);
    expect(claimsOf(customer)).toEqual([second.sessionId]);
  }, 120_000);

  it('answers 502 with the error when the new session fails too, after sending the message at most twice', async () => {
    const customer = `customer-${randomUUID()}`;
    const first = await askOnce('check 1', customer);
    const since = mock.requests.length;
    mock.inject({ endpoint: 'invoke', status: 404, times: 2 });
    const response = await post('connectly-queue-message', { message: 'check 2', customerId: customer });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: string; sessionId: string };
    expect(body.error).toContain('(HTTP 404, NOT_FOUND)');
    expect(body.sessionId).not.toBe(first.sessionId);
    expect(invokes(since)).toHaveLength(2);

    // Any other failure is answered at once, without a new session.
    mock.inject({ endpoint: 'invoke', status: 500 });
    const failed = await post('connectly-queue-message', { message: 'check 3', customerId: customer });
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { error: string }).error).toContain('INTERNAL');
    expect(invokes(since)).toHaveLength(3);
    expect(initsFor(customer)).toHaveLength(2);
  }, 120_000);

  it('stopping a running execution from main aborts the upstream stream', async () => {
    // The agent sends one message, then the stream stays open until the client leaves.
    mock.inject({ endpoint: 'invoke', stall: 'body', afterEvents: 1 });
    const before = lastExecutionId();
    const requestsBefore = mock.requests.length;
    const abandonedBefore = mock.abandoned;
    const pending = post('connectly-message', { message: 'hello', customerId: 'customer-stop' });
    await waitFor(() => (invokes(requestsBefore).length === 1 ? true : undefined), 'the invoke to reach the mock');
    const [execution] = await waitFor(() => {
      const found = executionsOf(HANDOVER_WF, before);
      return found[0]?.status === 'running' ? found : undefined;
    }, 'the execution to run');
    expect(workerOf(execution?.id as string)).toBeDefined();

    const stopped = await cluster.rest('POST', `/executions/${execution?.id}/stop`);
    expect(stopped.status).toBe(200);
    await mock.waitForAbandoned(abandonedBefore + 1, 30_000);
    await pending;
    await waitFor(
      () => (executionsOf(HANDOVER_WF, before)[0]?.status === 'canceled' ? true : undefined),
      'the execution to be recorded as canceled',
    );
    expect(invokes(requestsBefore)).toHaveLength(1);
  }, 120_000);

  it('a worker killed mid-turn leaves nothing that sends the turn again', async () => {
    mock.inject({ endpoint: 'invoke', stall: 'body', afterEvents: 1 });
    const before = lastExecutionId();
    const requestsBefore = mock.requests.length;
    const abandonedBefore = mock.abandoned;
    const pending = post('connectly-message', { message: 'hello', customerId: 'customer-crash' }).then(
      (response) => response.status,
      () => 'no response',
    );
    await waitFor(() => (invokes(requestsBefore).length === 1 ? true : undefined), 'the invoke to reach the mock');
    const execution = await waitFor(() => executionsOf(HANDOVER_WF, before)[0], 'the execution to be recorded');
    const victim = await waitFor(() => workerOf(execution.id), 'the worker running the execution');
    const jobId = await waitFor(
      () =>
        victim
          .entries()
          .map(
            (entry) =>
              new RegExp(`^Worker started execution ${execution.id} \\(job (\\S+)\\)`).exec(
                String(entry['message']),
              )?.[1],
          )
          .find((id) => id !== undefined),
      'the job id in the worker log',
    );

    await victim.kill();
    await mock.waitForAbandoned(abandonedBefore + 1, 30_000);
    // The surviving worker finds the job's lock expired; n8n runs Bull with maxStalledCount 0, so the job
    // fails instead of going back to the queue, and main, after a fixed 30 s grace in case the worker
    // finished after all, records the execution as failed.
    const failed = await waitFor(
      () => {
        const status = executionsOf(HANDOVER_WF, before)[0]?.status;
        return status && status !== 'running' && status !== 'new' ? status : undefined;
      },
      'the execution to leave "running"',
      120_000,
    );
    expect(['error', 'crashed']).toContain(failed);
    expect(await pending).toBe(500);
    const [[data] = []] = cluster.sql(`select data from execution_data where "executionId" = ${execution.id}`);
    expect(data).toContain('failed to be processed too many times and will no longer retry');
    // And the job is gone from the queue, so no worker can pick the turn up again.
    const exists = execFileSync(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(cluster.redisPort), 'exists', `bull:jobs:${jobId}`],
      { encoding: 'utf8' },
    ).trim();
    expect(exists).toBe('0');

    // The killed worker comes back and takes jobs again, and the turn is still sent only once.
    await victim.restart();
    const answer = await ask('hello again', `customer-${randomUUID()}`);
    expect(answer.reply).toContain('demo shopping assistant');
    expect(
      invokes(requestsBefore).filter((request) => JSON.stringify(request.body).includes('customer-crash')),
    ).toHaveLength(1);
  }, 180_000);

  it('the API key is in no log of main, the workers or the webhook process, and in no stored execution', () => {
    expect(cluster.webhooks).toHaveLength(1);
    for (const logged of [cluster.main, ...cluster.workers, ...cluster.webhooks]) {
      expect(logged.output()).not.toContain(KEY);
    }
    const stored = cluster.sql('select data from execution_data').flat();
    expect(stored.length).toBeGreaterThan(20);
    for (const data of stored) expect(data).not.toContain(KEY);
  });
});
