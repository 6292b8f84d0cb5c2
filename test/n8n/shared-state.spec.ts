// The Connectly node's Shared State input: with a chat memory connected, sessions, holds, what was said
// meanwhile and the sends recorded for their echoes live in the memory's chat history, not in the process.
// The history here stores messages as n8n's Redis Chat Memory does (each message's toDict() as JSON, read
// back oldest first as LangChain messages); the queue-mode suite proves it with the real memories.
import { ConnectlyMessagingClient, type ConversationState } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { type IDataObject, type INodeInputConfiguration, NodeOperationError } from 'n8n-workflow';
import { Connectly } from '../../nodes/Connectly/Connectly.node';
import { processConversationState } from '../../nodes/Connectly/shared/conversation-state';
import { ChatMemoryLog, RECORD_MARKER, type StorableMessage } from '../../nodes/Connectly/shared/chat-memory-log';
import { runNode } from './harness';
import { sendMessage, sendText } from './parameters';
import { type ServedTrigger, TriggerUnderTest, serve } from './trigger-harness';

const KEY = 'n8n-shared-state-key-DISTINCTIVE-6613';
const SECRET = 'shared-state-webhook-secret';
let mock: MockConnectlyServer;
let credentials: { apiKey: string; businessId: string; baseUrl: string; webhookSecret: string };

/** A chat history kept as Redis Chat Memory keeps one: a list of each message's toDict(), as JSON. */
class StoredHistory {
  readonly stored: string[] = [];

  constructor(readonly lc_namespace = ['langchain', 'stores', 'message', 'redis']) {}

  async addMessage(message: StorableMessage): Promise<void> {
    this.stored.push(JSON.stringify(message.toDict()));
  }

  /** As LangChain maps stored messages back: the message's data (content, additional_kwargs) on the message. */
  async getMessages(): Promise<Array<{ content: unknown; additional_kwargs?: Record<string, unknown> }>> {
    return this.stored.map((text) => (JSON.parse(text) as { data: { content: unknown } }).data);
  }

  types(): string[] {
    return this.stored.map((text) => (JSON.parse(text) as { type: string }).type);
  }
}

/** What a chat memory sub-node supplies: a LangChain memory holding its chat history. */
const memoryOf = (history: StoredHistory) => () => ({ chatHistory: history });

beforeAll(async () => {
  mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: 'biz-shared',
    messaging: { webhookSecret: SECRET, timeScale: 0.001, echoCallbackData: false },
  });
  const baseUrl = await mock.start();
  credentials = { apiKey: KEY, businessId: 'biz-shared', baseUrl, webhookSecret: SECRET };
});
beforeEach(() => mock.reset());
afterEach(() => mock.waitForIdle(3000).catch(() => undefined));
afterAll(() => mock.stop());

const recordHumanReply = (clientKey: string, text: string): IDataObject => ({
  resource: 'session',
  operation: 'recordHumanReply',
  clientKey,
  text,
});
const release = (clientKey: string): IDataObject => ({
  resource: 'session',
  operation: 'release',
  clientKey,
  resumeWith: 'nextMessage',
  options: {},
});

const requestsTo = (endpoint: string) =>
  mock.requests
    .filter((request) => request.endpoint === endpoint)
    .map((request) => request.body as { clientKey: string; sessionId?: string; inputEvents: unknown[] });
const user = (text: string) => ({ messageEvent: { role: 'USER', content: { textContent: { text } } } });
const assistant = (text: string) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text } } } });

describe('the Shared State input', () => {
  it('is an optional memory input beside Main, taking Redis Chat Memory or Postgres Chat Memory, one at most', () => {
    const inputs = new Connectly().description.inputs as Array<string | INodeInputConfiguration>;
    expect(inputs).toEqual([
      'main',
      {
        type: 'ai_memory',
        displayName: 'Shared State',
        required: false,
        maxConnections: 1,
        filter: { nodes: ['@n8n/n8n-nodes-langchain.memoryRedisChat', '@n8n/n8n-nodes-langchain.memoryPostgresChat'] },
      },
    ]);
  });

  it("keeps the customer's session in the memory: the next run continues it, a run without the memory does not see it", async () => {
    const history = new StoredHistory();
    const memory = memoryOf(history);
    const first = await runNode(sendMessage('+15557770001', 'Hi'), { credentials, memory });
    const second = await runNode(sendMessage('+15557770001', 'Gift ideas?'), { credentials, memory });
    const sessionId = first.outputs[0]?.[0]?.json['sessionId'];
    expect(second.outputs[0]?.[0]?.json['sessionId']).toBe(sessionId);
    expect(requestsTo('init')).toHaveLength(1);
    expect(history.stored.length).toBeGreaterThan(0);

    // This process remembers nothing of it: without the memory, the customer gets a session of their own.
    const apart = await runNode(sendMessage('+15557770001', 'Hello again'), { credentials });
    expect(apart.outputs[0]?.[0]?.json['sessionId']).not.toBe(sessionId);
    expect(requestsTo('init')).toHaveLength(2);
  });

  it('Session → Close forgets the session kept in the memory: the next message starts a new one', async () => {
    const memory = memoryOf(new StoredHistory());
    const first = await runNode(sendMessage('+15557770008', 'Hi'), { credentials, memory });
    const sessionId = first.outputs[0]?.[0]?.json['sessionId'] as string;
    await runNode(
      { resource: 'session', operation: 'close', clientKey: '+15557770008', sessionId, options: {} },
      { credentials, memory },
    );
    const next = await runNode(sendMessage('+15557770008', 'Hello again'), { credentials, memory });
    expect(next.outputs[0]?.[0]?.json['sessionId']).not.toBe(sessionId);
    // Straight to a new session: nothing was sent to the closed one.
    expect(requestsTo('invoke').map((body) => body.sessionId)).toEqual([
      sessionId,
      next.outputs[0]?.[0]?.json['sessionId'],
    ]);
    expect(requestsTo('init')).toHaveLength(2);
  });

  it('a hold recorded in the memory is honoured by every run that has it; Release gives the agent what was said meanwhile', async () => {
    const phone = '+15557770002';
    const history = new StoredHistory();
    const memory = memoryOf(history);
    await runNode(recordHumanReply(phone, 'Sam here'), { credentials, memory });
    const held = await runNode(sendMessage(phone, 'Thanks Sam'), { credentials, memory });
    expect(held.outputs[0]).toEqual([]);
    expect(held.outputs[1]?.[0]?.json).toMatchObject({ held: true, reason: 'human-reply', text: 'Thanks Sam' });
    expect(requestsTo('invoke')).toEqual([]);

    // Held in the memory only: a run without it asks the agent.
    await runNode(sendMessage(phone, 'Anyone?'), { credentials });
    expect(requestsTo('invoke').map((body) => body.inputEvents)).toEqual([[user('Anyone?')]]);

    const released = await runNode(release(phone), { credentials, memory });
    expect(released.outputs[0]?.[0]?.json).toMatchObject({ released: true, pendingEvents: 2 });
    await runNode(sendMessage(phone, 'Show me gift ideas'), { credentials, memory });
    expect(requestsTo('invoke').at(-1)?.inputEvents).toEqual([
      assistant('Sam here'),
      user('Thanks Sam'),
      user('Show me gift ideas'),
    ]);
  });

  it("shares the history with a chat's own messages: they are skipped and kept, the records are marked system messages", async () => {
    const history = new StoredHistory();
    await history.addMessage({ toDict: () => ({ type: 'human', data: { content: 'Hi', additional_kwargs: {} } }) });
    await runNode(recordHumanReply('+15557770003', 'Sam here'), { credentials, memory: memoryOf(history) });
    const held = await runNode(sendMessage('+15557770003', 'Thanks'), { credentials, memory: memoryOf(history) });
    expect(held.outputs[1]?.[0]?.json).toMatchObject({ held: true });
    expect(history.types()[0]).toBe('human');
    expect(new Set(history.types().slice(1))).toEqual(new Set(['system']));
    const [, record] = await history.getMessages();
    expect(record?.additional_kwargs).toEqual({ [RECORD_MARKER]: 1 });
    expect(await new ChatMemoryLog(history).read()).toHaveLength(history.stored.length - 1);
  });

  it('refuses Simple Memory (kept in one process) with an error naming the memories to connect, before any request', async () => {
    const simple = new StoredHistory(['langchain', 'stores', 'message', 'in_memory']);
    const refused = runNode(sendMessage('+15557770004', 'Hi'), { credentials, memory: memoryOf(simple) });
    await expect(refused).rejects.toThrow(NodeOperationError);
    await expect(refused).rejects.toMatchObject({
      message: expect.stringContaining('not shared by every n8n process'),
      description: expect.stringContaining('Redis Chat Memory or a Postgres Chat Memory'),
    });
    await expect(
      runNode(recordHumanReply('+15557770004', 'x'), { credentials, memory: () => ({ loadMemoryVariables: {} }) }),
    ).rejects.toThrow(/not shared by every n8n process/);
    expect(mock.requests).toEqual([]);
    expect(simple.stored).toEqual([]);
  });

  it("Message → Send still knows the window closed from the Trigger's record in this process, and refuses before any request", async () => {
    const phone = '+15557770007';
    await processConversationState('biz-shared').noteInbound({
      kind: 'message',
      clientKey: phone,
      timestamp: String(Math.floor((Date.now() - 25 * 60 * 60 * 1000) / 1000)),
    } as unknown as Parameters<ConversationState['noteInbound']>[0]);
    await expect(
      runNode(sendText(phone, 'Still there?'), {
        credentials,
        messagingCredentials: credentials,
        memory: memoryOf(new StoredHistory()),
      }),
    ).rejects.toThrow(`${phone} last wrote more than 24 hours ago`);
    expect(mock.messaging.sent.filter((sent) => sent.to === phone)).toEqual([]);
  });

  it("Send Message notes the Trigger's message in the memory: Message → Send on another worker knows the window closed", async () => {
    const phone = '+15557770027';
    const memory = memoryOf(new StoredHistory());
    const wrote = new Date(Date.now() - 25 * 60 * 60 * 1000).toISOString();
    const input = [{ kind: 'message', clientKey: phone, text: 'Hi', timestamp: wrote }];
    await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input });
    // This process never saw the customer: only the memory knows when they wrote.
    expect(await processConversationState('biz-shared').window(phone)).toBe('unknown');
    await expect(
      runNode(sendText(phone, 'Still there?'), { credentials, messagingCredentials: credentials, memory }),
    ).rejects.toThrow(`${phone} last wrote more than 24 hours ago`);
    expect(mock.requests.filter((request) => request.endpoint !== 'init' && request.endpoint !== 'invoke')).toEqual([]);
  });

  it('as a tool (no inputs), keeps the state in this process', async () => {
    const phone = '+15557770005';
    await runNode(recordHumanReply(phone, 'Sam here'), { credentials, asTool: true });
    const held = await runNode(sendMessage(phone, 'Thanks'), { credentials });
    expect(held.outputs[1]?.[0]?.json).toMatchObject({ held: true, reason: 'human-reply' });
  });
});

describe('a delivery that reaches two n8n processes (a redelivery taken by another webhook process)', () => {
  // Both executions carry the Trigger's item of one delivery; each runs on its own worker.
  const fromTrigger = (clientKey: string, text: string, deliveryId: string): IDataObject => ({
    kind: 'message',
    clientKey,
    text,
    deliveryId,
  });

  it('Send Message asks the agent once: the repeat outputs nothing and says why', async () => {
    const phone = '+15557770021';
    const memory = memoryOf(new StoredHistory());
    const input = [fromTrigger(phone, 'Hi', 'signature-21')];
    const first = await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'webhook' });
    const repeat = await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'webhook' });
    expect(first.outputs[0]).toHaveLength(1);
    expect(repeat.outputs).toEqual([[], []]);
    expect(repeat.hints).toEqual([expect.objectContaining({ message: expect.stringMatching(/another execution/) })]);
    expect(repeat.customData).toEqual({ Connectly: 'a repeat already taken' });
    expect(requestsTo('invoke').map((body) => body.inputEvents)).toEqual([[user('Hi')]]);

    // The customer's next message is its own delivery: the agent hears it.
    const next = [fromTrigger(phone, 'More', 'signature-22')];
    await runNode(sendMessage(phone, 'More'), { credentials, memory, input: next, mode: 'webhook' });
    expect(requestsTo('invoke').map((body) => body.inputEvents)).toEqual([[user('Hi')], [user('More')]]);
  });

  it('acts again when a person asks: a test run in the editor, a retry, or a run without Shared State', async () => {
    const phone = '+15557770023';
    const memory = memoryOf(new StoredHistory());
    const input = [fromTrigger(phone, 'Hi', 'signature-23')];
    await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'webhook' });
    await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'manual' });
    await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'retry' });
    await runNode(sendMessage(phone, 'Hi'), { credentials, input, mode: 'webhook' });
    expect(requestsTo('invoke')).toHaveLength(4);
  });

  it('a run that failed gives the delivery up: its repeat asks the agent', async () => {
    const phone = '+15557770024';
    const memory = memoryOf(new StoredHistory());
    const input = [fromTrigger(phone, 'Hi', 'signature-24')];
    mock.inject({ status: 400 });
    await expect(runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'webhook' })).rejects.toThrow();
    const repeat = await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'webhook' });
    expect(repeat.outputs[0]?.[0]?.json).toMatchObject({ clientKey: phone });
    expect(requestsTo('invoke').map((body) => body.inputEvents)).toEqual([[user('Hi')], [user('Hi')]]);
  });

  it('a memory that cannot take the done mark fails nothing of the run: the reply comes out, with a warning', async () => {
    const phone = '+15557770026';
    const history = new StoredHistory();
    const memory = memoryOf(history);
    const input = [fromTrigger(phone, 'Hi', 'signature-26')];
    // The memory turns read-only just as the run marks the delivery done.
    const append = history.addMessage.bind(history);
    history.addMessage = async (message) => {
      if (message.toDict().data.content.includes('completeDelivery')) {
        throw new Error("READONLY You can't write against a read only replica.");
      }
      await append(message);
    };
    const run = await runNode(sendMessage(phone, 'Hi'), { credentials, memory, input, mode: 'webhook' });
    expect(run.outputs[0]?.[0]?.json).toMatchObject({ clientKey: phone, text: expect.any(String) });
    expect(run.warnings).toEqual([
      expect.stringContaining('could not mark delivery as done in Shared State: READONLY'),
    ]);
  });

  it("Record Human Reply keeps the person's words once: the repeat says so, and the agent hears them once", async () => {
    const phone = '+15557770025';
    const memory = memoryOf(new StoredHistory());
    const input = [{ kind: 'echo', clientKey: phone, text: 'Sam here', sentBy: 'human', deliveryId: 'signature-25' }];
    const first = await runNode(recordHumanReply(phone, 'Sam here'), { credentials, memory, input, mode: 'webhook' });
    const repeat = await runNode(recordHumanReply(phone, 'Sam here'), { credentials, memory, input, mode: 'webhook' });
    expect(first.outputs[0]?.[0]?.json).toMatchObject({ recorded: true, held: true, pendingEvents: 1 });
    expect(repeat.outputs[0]?.[0]?.json).toMatchObject({ recorded: false, repeat: true, held: true, pendingEvents: 1 });
    await runNode(release(phone), { credentials, memory });
    await runNode(sendMessage(phone, 'Thanks'), { credentials, memory });
    expect(requestsTo('invoke').map((body) => body.inputEvents)).toEqual([[assistant('Sam here'), user('Thanks')]]);
  });
});

describe("Record Human Reply and the workflow's own echoes, with Shared State", () => {
  let served: ServedTrigger & { trigger: TriggerUnderTest };

  beforeAll(async () => {
    served = await serve((url) => new TriggerUnderTest({ credentials, parameters: {}, nodeId: 'shared-echo' }, url));
    await served.trigger.activate();
  });
  afterAll(() => served?.close());

  const settled = () => Promise.all(mock.messaging.deliveries.map((delivery) => delivery.settled));

  it('the echo of a send recorded in the memory holds nothing; a person’s echo holds the conversation', async () => {
    const phone = '+15557770006';
    const history = new StoredHistory();
    const memory = memoryOf(history);
    await mock.customer(phone).says('Hi');
    await settled();
    // Sent by a worker whose sends the Trigger's process never saw: recorded in the memory only.
    await runNode(sendText(phone, 'Hello from the workflow'), {
      credentials,
      messagingCredentials: credentials,
      memory,
    });
    await settled();
    const echo = served.runs.at(-1)?.[1]?.[0]?.json as IDataObject;
    expect(echo).toMatchObject({ kind: 'echo', text: 'Hello from the workflow', fingerprint: expect.any(String) });

    const own = await runNode(recordHumanReply(phone, String(echo['text'])), { credentials, memory, input: [echo] });
    expect(own.outputs[0]?.[0]?.json).toEqual({
      clientKey: phone,
      recorded: false,
      ownEcho: true,
      held: false,
      pendingEvents: 0,
    });

    const inbox = new ConnectlyMessagingClient({ apiKey: KEY, businessId: 'biz-shared', baseUrl: credentials.baseUrl });
    await inbox.sendMessage({ to: phone, message: { text: 'Maria here' } });
    await settled();
    const person = served.runs.at(-1)?.[1]?.[0]?.json as IDataObject;
    expect(person).toMatchObject({ kind: 'echo', text: 'Maria here' });
    const human = await runNode(recordHumanReply(phone, String(person['text'])), {
      credentials,
      memory,
      input: [person],
    });
    expect(human.outputs[0]?.[0]?.json).toMatchObject({ recorded: true, held: true, reason: 'human-reply' });
  });
});
