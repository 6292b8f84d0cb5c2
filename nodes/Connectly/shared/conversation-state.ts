// The WhatsApp loop's state as the nodes keep it: the core's ConversationState (deliveries taken once,
// echoes told apart, holds, what was said meanwhile, choices, the 24-hour window) over one
// MemoryConversationStore for this n8n process. The Trigger, Agent → Send Message, the Session operations
// and Message → Send all run in the process that took the webhook in regular mode, so they share it.
// In queue mode each process has its own (see the README's n8n guarantees): a community node is given no
// atomic storage every worker sees.
import {
  ConversationState,
  MemoryConversationStore,
  type ConversationHold,
  type InputEvent,
} from 'connectly-agent-graph';
import type { IDataObject } from 'n8n-workflow';

// Every business this process answers for shares the store: keys are business and customer.
const store = new MemoryConversationStore();

/** The loop's state of one business, kept in this n8n process. */
export function conversationState(businessId: string): ConversationState {
  return new ConversationState({ store, businessId });
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
