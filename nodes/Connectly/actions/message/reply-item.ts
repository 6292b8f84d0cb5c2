// The agent reply an input item carries, as the events the core maps to WhatsApp messages: the raw
// events when the item has them (exact order, every kind), else the reply's summary in its usual order,
// or the single event of a One Item per Event item.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { AgentEvent } from 'connectly-agent-graph';

function event(type: string, payload: unknown, sessionId: unknown): AgentEvent {
  const value: Record<string, unknown> = {
    type,
    known: true,
    sessionId: typeof sessionId === 'string' ? sessionId : undefined,
  };
  value[type] = payload;
  return value as unknown as AgentEvent;
}

const nonEmpty = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0;

export function replyEvents(this: IExecuteFunctions, item: IDataObject, itemIndex: number): AgentEvent[] {
  if (Array.isArray(item.events)) return item.events as unknown as AgentEvent[];
  const { sessionId } = item;
  // One Item per Event: the event's kind (every agent event's ends in Event), and its payload under it.
  if (typeof item.type === 'string' && item.type.endsWith('Event') && item[item.type] !== undefined) {
    return [event(item.type, item[item.type], sessionId)];
  }
  // Only a reply item counts its events: a customer's message (the Trigger's, or a held one) has text
  // too, and must never be sent back to the customer as if the agent had said it.
  if (typeof item.eventCount !== 'number') {
    throw new NodeOperationError(this.getNode(), 'The input item holds no agent reply to send', {
      itemIndex,
      description:
        'Connect the Reply output of Connectly → Agent → Send Message, or pick Content → Text to send a message you write',
    });
  }
  const events: AgentEvent[] = [];
  if (typeof item.text === 'string' && item.text.trim() !== '') {
    events.push(event('messageEvent', { role: 'ASSISTANT', content: { textContent: { text: item.text } } }, sessionId));
  }
  if (nonEmpty(item.products)) events.push(event('recommendationEvent', { products: item.products }, sessionId));
  if (Array.isArray(item.interactives)) {
    for (const interactive of item.interactives) {
      events.push(event('connectlyInteractiveEvent', { interactive }, sessionId));
    }
  }
  if (nonEmpty(item.suggestions)) {
    events.push(event('chatSuggestionEvent', { suggestedQuestions: item.suggestions }, sessionId));
  }
  return events;
}
