// The WhatsApp loop's state as the nodes keep it: the core's ConversationState (deliveries taken once,
// echoes told apart, holds, what was said meanwhile, choices, the 24-hour window, remembered sessions).
// Without Shared State it lives in one MemoryConversationStore for this n8n process: the Trigger, Agent →
// Send Message, the Session operations and Message → Send share it when they run in the process that
// took the webhook (regular mode). With a Redis or Postgres Chat Memory on the node's Shared State input,
// it lives in that memory, as a log every queue-mode worker reads (LogConversationStore).
import {
  ConversationState,
  type ConversationHold,
  type ConversationStore,
  type InputEvent,
  type WindowState,
  LogConversationStore,
  MemoryConversationStore,
} from 'connectly-agent-graph';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { type ChatHistory, ChatMemoryLog } from './chat-memory-log';
import { triggerMarks } from '../../ConnectlyTrigger/items';

// Every business this process answers for shares the store: keys are business and customer.
const processStore = new MemoryConversationStore();

/** The chat histories every process sees, by the last part of their LangChain namespace. */
const SHARED_HISTORIES = new Set(['redis', 'postgres']);

/** The node types the Shared State input takes (n8n 2.41's Redis Chat Memory and Postgres Chat Memory). */
export const SHARED_STATE_MEMORIES = [
  '@n8n/n8n-nodes-langchain.memoryRedisChat',
  '@n8n/n8n-nodes-langchain.memoryPostgresChat',
];

// One store per item of one node run: n8n connects the memory anew (a new Redis or Postgres client) on
// each request for it, and closes those clients when the node's run ends.
const itemStores = new WeakMap<IExecuteFunctions, Map<number, Promise<ConversationStore | undefined>>>();

function historyOf(memory: unknown): ChatHistory | undefined {
  const history = (memory as { chatHistory?: unknown } | null)?.chatHistory as ChatHistory | undefined;
  return typeof history?.getMessages === 'function' && typeof history.addMessage === 'function' ? history : undefined;
}

async function connectedStore(this: IExecuteFunctions, itemIndex: number): Promise<ConversationStore | undefined> {
  // The Tool variant n8n makes of the node has no inputs: it keeps the state in this process.
  const inputs = typeof this.getNodeInputs === 'function' ? this.getNodeInputs() : [];
  if (!inputs.some((input) => input.type === NodeConnectionTypes.AiMemory)) return undefined;
  const memory = await this.getInputConnectionData(NodeConnectionTypes.AiMemory, itemIndex);
  if (memory === undefined || memory === null) return undefined;
  const history = historyOf(memory);
  const kept = history?.lc_namespace?.at(-1);
  if (history === undefined || kept === undefined || !SHARED_HISTORIES.has(kept)) {
    // Simple Memory keeps its messages in the process that runs it: each queue-mode worker would have its own.
    throw new NodeOperationError(
      this.getNode(),
      'The memory on Shared State is not shared by every n8n process, so holds and sessions would differ between workers',
      {
        itemIndex,
        description:
          'Connect a Redis Chat Memory or a Postgres Chat Memory to Shared State (not Simple Memory), or remove the memory to keep the state in this process',
      },
    );
  }
  return new LogConversationStore(new ChatMemoryLog(history));
}

/** The store of the item's conversation state: the Shared State memory's, else undefined. */
export function sharedStore(this: IExecuteFunctions, itemIndex: number): Promise<ConversationStore | undefined> {
  let stores = itemStores.get(this);
  if (stores === undefined) {
    stores = new Map();
    itemStores.set(this, stores);
  }
  let store = stores.get(itemIndex);
  if (store === undefined) {
    store = connectedStore.call(this, itemIndex);
    stores.set(itemIndex, store);
  }
  return store;
}

/** The loop's state of one business for one input item: in the Shared State memory, or in this process. */
export async function conversationState(
  this: IExecuteFunctions,
  businessId: string,
  itemIndex: number,
): Promise<ConversationState> {
  const store = (await sharedStore.call(this, itemIndex)) ?? processStore;
  return new ConversationState({ store, businessId });
}

/** Whether the state is kept in a Shared State memory, which every n8n process sees. */
export function isShared(state: ConversationState): boolean {
  return state.store !== processStore;
}

/**
 * The loop's state of one business, kept in this n8n process. The Trigger's: a webhook has no input item
 * to pick a memory's session key by.
 */
export function processConversationState(businessId: string): ConversationState {
  return new ConversationState({ store: processStore, businessId });
}

/**
 * With Shared State, notes in the memory the customer's message the input item carries (the Connectly
 * Trigger's Customer item: `kind` message or button, and its `timestamp`), so that Message → Send on any
 * worker knows the 24-hour window: the Trigger notes it in its own process only. An item without a time
 * notes nothing (Connectly then decides).
 */
export async function noteItemInbound(
  this: IExecuteFunctions,
  itemIndex: number,
  state: ConversationState,
  clientKey: string,
): Promise<void> {
  if (!isShared(state)) return;
  const { inbound } = triggerMarks(this.getInputData()[itemIndex]?.json);
  if (inbound?.clientKey === clientKey) await state.noteInboundAt(clientKey, inbound.at);
}

/**
 * Whether a reply due now falls inside the customer's 24-hour window. The Trigger notes the customer's
 * messages in its own process (below), so a state kept in a Shared State memory that knows nothing of
 * them asks this process's too: regular mode still knows the window before sending.
 */
export async function customerWindow(state: ConversationState, clientKey: string): Promise<WindowState> {
  const known = await state.window(clientKey);
  if (known !== 'unknown' || !isShared(state)) return known;
  return processConversationState(state.businessId).window(clientKey);
}

/** The customer's words in input events: every text they hold, one per line. */
export function textOf(inputEvents: readonly InputEvent[]): string | undefined {
  const texts = inputEvents
    .map((event) => (event as { messageEvent?: { content?: { textContent?: { text?: unknown } } } }).messageEvent)
    .map((message) => message?.content?.textContent?.text)
    .filter((text): text is string => typeof text === 'string' && text !== '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** What is known of a conversation's hold, as item fields. */
export async function holdFields(state: ConversationState, clientKey: string): Promise<IDataObject> {
  const [hold, pendingEvents] = await Promise.all([state.hold(clientKey), state.meanwhileCount(clientKey)]);
  return { ...holdItemFields(hold), pendingEvents };
}

function holdItemFields(hold: ConversationHold | undefined): IDataObject {
  if (hold === undefined) return { held: false };
  return {
    held: true,
    reason: hold.reason,
    heldSince: new Date(hold.since).toISOString(),
    heldUntil: new Date(hold.expiresAt).toISOString(),
  };
}
