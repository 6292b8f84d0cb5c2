// The whole reply to one turn, gathered from its events: what most integrations show or store.

import { type AgentEvent, isEventType, isHandoverEvent, isHandoverTriggered } from './events.js';
import type { Interactive, MessageEvent, Product } from './wire.js';

export interface AgentReply {
  /** The session the reply belongs to. */
  sessionId: string | undefined;
  /** The agent's text messages, in order, joined with a blank line. */
  text: string;
  /** The agent's message events (text, image, audio, location), in order. */
  messages: MessageEvent[];
  /** Every product of every recommendation, in order. */
  products: Product[];
  /** Suggested follow-up questions. */
  suggestions: string[];
  /** Interactive content: lists, reply buttons, product messages. */
  interactives: Interactive[];
  /** True when any handover event asks for a handover now (`triggerHandover: true`). */
  handover: boolean;
  /** Every handover event, of every kind, whether or not it triggers. */
  handovers: AgentEvent[];
  /** Every event, in the order it arrived, known kinds or not. */
  events: AgentEvent[];
}

/** The text of a message event from the agent (not one echoed from the customer). */
export function messageText(event: AgentEvent): string | undefined {
  if (!isEventType(event, 'messageEvent')) return undefined;
  if (event.messageEvent.role === 'USER') return undefined;
  return event.messageEvent.content?.textContent?.text;
}

export function summarizeReply(events: readonly AgentEvent[]): AgentReply {
  const reply: AgentReply = {
    sessionId: undefined,
    text: '',
    messages: [],
    products: [],
    suggestions: [],
    interactives: [],
    handover: false,
    handovers: [],
    events: [...events],
  };
  const texts: string[] = [];
  for (const event of events) {
    reply.sessionId ??= event.sessionId;
    if (isEventType(event, 'messageEvent')) {
      reply.messages.push(event.messageEvent);
      const text = messageText(event);
      if (text) texts.push(text);
    } else if (isEventType(event, 'recommendationEvent')) {
      reply.products.push(...(event.recommendationEvent.products ?? []));
    } else if (isEventType(event, 'chatSuggestionEvent')) {
      reply.suggestions.push(...(event.chatSuggestionEvent.suggestedQuestions ?? []));
    } else if (isEventType(event, 'connectlyInteractiveEvent')) {
      if (event.connectlyInteractiveEvent.interactive)
        reply.interactives.push(event.connectlyInteractiveEvent.interactive);
    } else if (isHandoverEvent(event)) {
      reply.handovers.push(event);
      reply.handover ||= isHandoverTriggered(event);
    }
  }
  reply.text = texts.join('\n\n');
  return reply;
}
