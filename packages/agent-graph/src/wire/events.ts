// Typed agent events: one object per element of `responseEvents`, discriminated by its wire key.

import { RESPONSE_EVENT_TYPES, type ResponseEvent, type ResponseEventMap, type ResponseEventType } from './api.js';

/** A response event of a kind this version knows. `type` is its wire key and the payload sits under that key. */
export type KnownAgentEvent = {
  [K in ResponseEventType]: { type: K; known: true; sessionId: string | undefined } & { [P in K]: ResponseEventMap[K] };
}[ResponseEventType];

/**
 * A response event of a kind this version does not know yet, delivered with its key and payload intact.
 * A kind whose key is one of the event's own fields (`type`, `known`, `sessionId`, `payload`) keeps its
 * payload under `payload`, so it can neither be lost nor overwrite those fields; so does `__proto__`,
 * which an assignment would take as the event's prototype.
 */
export interface UnknownAgentEvent {
  type: string;
  known: false;
  sessionId: string | undefined;
  [key: string]: unknown;
}

/**
 * What `invoke()` emits. Narrow with `event.known && event.type === 'messageEvent'`,
 * with `isEventType(event, 'messageEvent')`, or with the `ofType()` operator.
 */
export type AgentEvent = KnownAgentEvent | UnknownAgentEvent;

export type AgentEventOf<K extends ResponseEventType> = Extract<KnownAgentEvent, { type: K }>;

export type HandoverEventType = Extract<ResponseEventType, `${string}HandoverEvent`>;
export type HandoverAgentEvent = AgentEventOf<HandoverEventType>;

/** A handover kind this version does not know yet: its key ends in `HandoverEvent`. */
export type UnknownHandoverEvent = UnknownAgentEvent & { type: `${string}HandoverEvent` };

export const HANDOVER_EVENT_TYPES: readonly HandoverEventType[] = Object.freeze(
  RESPONSE_EVENT_TYPES.filter((type): type is HandoverEventType => type.endsWith('HandoverEvent')),
);

const KNOWN = new Set<string>(RESPONSE_EVENT_TYPES);
const OWN_FIELDS = new Set(['type', 'known', 'sessionId', 'payload', '__proto__']);

/** Turns one wire element of `responseEvents` into typed events (one per key; a well-formed element has one). */
export function toAgentEvents(element: ResponseEvent, sessionId: string | undefined, out: AgentEvent[]): void {
  for (const key in element) {
    if (!Object.prototype.hasOwnProperty.call(element, key)) continue;
    const payload = element[key];
    if (OWN_FIELDS.has(key)) {
      out.push({ type: key, known: false, sessionId, payload });
      continue;
    }
    // Assigned one by one rather than as a literal with a computed key: V8 builds that literal through a
    // runtime call per event (about 0.4 µs), while these assignments follow a cached shape per key.
    const event: Record<string, unknown> = { type: key };
    event[key] = payload;
    event['known'] = KNOWN.has(key);
    event['sessionId'] = sessionId;
    out.push(event as AgentEvent);
  }
}

export function isEventType<K extends ResponseEventType>(event: AgentEvent, type: K): event is AgentEventOf<K> {
  return event.known && event.type === type;
}

/**
 * True for every handover kind, including ones this version does not know yet
 * (any key ending in `HandoverEvent`), whether or not it triggers a handover.
 */
export function isHandoverEvent(event: AgentEvent): event is HandoverAgentEvent | UnknownHandoverEvent {
  return typeof event.type === 'string' && event.type.endsWith('HandoverEvent');
}

/** True when the event says a handover should happen now (`triggerHandover: true`). */
export function isHandoverTriggered(event: AgentEvent): boolean {
  if (!isHandoverEvent(event)) return false;
  const payload = eventPayload(event);
  return (
    typeof payload === 'object' &&
    payload !== null &&
    (payload as { triggerHandover?: unknown }).triggerHandover === true
  );
}

/** The payload of any event, known or not. */
export function eventPayload(event: AgentEvent): unknown {
  const fields = event as Record<string, unknown>;
  return OWN_FIELDS.has(event.type) ? fields['payload'] : fields[event.type];
}
