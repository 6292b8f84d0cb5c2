// The whole reply to one turn, gathered from its events: what most integrations show or store.

import { type AgentEvent, isEventType, isHandoverEvent, isHandoverTriggered } from '../wire/events.js';
import type { Interactive, MessageEvent, Product } from '../wire/api.js';

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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a message event from the agent (not one echoed from the customer). */
export function messageText(event: AgentEvent): string | undefined {
  if (!isEventType(event, 'messageEvent')) return undefined;
  const message: unknown = event.messageEvent;
  if (!isObject(message) || message['role'] === 'USER') return undefined;
  const content = message['content'];
  const textContent = isObject(content) ? content['textContent'] : undefined;
  const text = isObject(textContent) ? textContent['text'] : undefined;
  return typeof text === 'string' ? text : undefined;
}

/**
 * Gathers events into an `AgentReply`. A known kind whose payload has the wrong shape (a message that
 * is null, products that are not a list) stays in `events` as it came; the summary skips what it cannot read.
 */
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
      if (isObject(event.messageEvent)) reply.messages.push(event.messageEvent);
      const text = messageText(event);
      if (text) texts.push(text);
    } else if (isEventType(event, 'recommendationEvent')) {
      const products = listOf(event.recommendationEvent, 'products');
      reply.products.push(...(products.filter(isObject) as Product[]));
    } else if (isEventType(event, 'chatSuggestionEvent')) {
      const questions = listOf(event.chatSuggestionEvent, 'suggestedQuestions');
      reply.suggestions.push(...questions.filter((question): question is string => typeof question === 'string'));
    } else if (isEventType(event, 'connectlyInteractiveEvent')) {
      const payload: unknown = event.connectlyInteractiveEvent;
      const interactive = isObject(payload) ? payload['interactive'] : undefined;
      if (isObject(interactive)) reply.interactives.push(interactive as Interactive);
    } else if (isHandoverEvent(event)) {
      reply.handovers.push(event);
      reply.handover ||= isHandoverTriggered(event);
    }
  }
  reply.text = texts.join('\n\n');
  return reply;
}

// A list field of a payload, or nothing when the payload or the field is not what the wire says.
function listOf(payload: unknown, field: string): unknown[] {
  const value = isObject(payload) ? payload[field] : undefined;
  return Array.isArray(value) ? value : [];
}
