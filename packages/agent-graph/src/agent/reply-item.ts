// The whole reply as one flat record (what a workflow tool shows as an item), and the agent events read
// back from such a record, so that a reply passed from one step to the next is sent as it was received.

import { type AgentEvent, toAgentEvents } from '../wire/events.js';
import type { AgentReply } from './reply.js';
import type { Interactive, MessageEvent, Product, ResponseEvent } from '../wire/api.js';

/**
 * An `AgentReply` as a flat record: what a workflow reads (text, products, suggestions, menus, handover) in
 * view, and `eventCount`, which marks it as a reply. The raw events, messages and handover events come only
 * with `rawEvents`, since they repeat the rest.
 */
export interface ReplyItem {
  sessionId: string | undefined;
  text: string;
  products: Product[];
  suggestions: string[];
  interactives: Interactive[];
  handover: boolean;
  /** The customer the reply is for, when the caller gives it. */
  clientKey?: string;
  /** How many events the reply had; present on every reply item, and only on them. */
  eventCount: number;
  messages?: MessageEvent[];
  handovers?: AgentEvent[];
  events?: AgentEvent[];
}

export interface ReplyItemOptions {
  /** Keep the raw events, messages and handover events (the reply then reads back exactly). Default false. */
  rawEvents?: boolean;
  clientKey?: string;
}

/** The reply as a `ReplyItem`; `fromReplyItem` reads its events back. */
export function toReplyItem(reply: AgentReply, options: ReplyItemOptions = {}): ReplyItem {
  const { events, messages, handovers, ...summary } = reply;
  const item: ReplyItem = {
    ...summary,
    ...(options.clientKey === undefined ? {} : { clientKey: options.clientKey }),
    eventCount: events.length,
  };
  return options.rawEvents ? { ...item, messages, handovers, events } : item;
}

function event(type: string, payload: unknown, sessionId: unknown): AgentEvent {
  const out: AgentEvent[] = [];
  toAgentEvents({ [type]: payload } as ResponseEvent, typeof sessionId === 'string' ? sessionId : undefined, out);
  return out[0] as AgentEvent;
}

const nonEmpty = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0;

/**
 * The agent events a record carries: the raw events of a `ReplyItem` that has them (exact order, every
 * kind); else its summary in the summary's order (text, products, menus, suggestions; a handover travels
 * as the `handover` flag only); or the one event of a record `{ type: '…Event', [type]: payload }`.
 * Undefined for a record that holds no agent reply, such as a customer's message, which has `text` too
 * but must never be sent back to the customer as if the agent had said it.
 */
export function fromReplyItem(item: Readonly<Record<string, unknown>>): AgentEvent[] | undefined {
  if (Array.isArray(item['events'])) return item['events'] as AgentEvent[];
  const { sessionId, type } = item;
  if (typeof type === 'string' && type.endsWith('Event') && item[type] !== undefined) {
    return [event(type, item[type], sessionId)];
  }
  if (typeof item['eventCount'] !== 'number') return undefined;
  const events: AgentEvent[] = [];
  const { text, products, interactives, suggestions } = item;
  if (typeof text === 'string' && text.trim() !== '') {
    events.push(event('messageEvent', { role: 'ASSISTANT', content: { textContent: { text } } }, sessionId));
  }
  if (nonEmpty(products)) events.push(event('recommendationEvent', { products }, sessionId));
  if (Array.isArray(interactives)) {
    for (const interactive of interactives) events.push(event('connectlyInteractiveEvent', { interactive }, sessionId));
  }
  if (nonEmpty(suggestions)) events.push(event('chatSuggestionEvent', { suggestedQuestions: suggestions }, sessionId));
  return events;
}
