// RxJS operators for what users do most with an invoke stream.

import { type Observable, type OperatorFunction, filter, map, reduce } from 'rxjs';
import {
  type AgentEvent,
  type AgentEventOf,
  type HandoverAgentEvent,
  type UnknownHandoverEvent,
  isHandoverEvent,
} from '../wire/events.js';
import { type AgentReply, messageText, summarizeReply } from './reply.js';
import type { ResponseEventType } from '../wire/api.js';

/** Keeps the events of the given kinds, typed: `events$.pipe(ofType('messageEvent', 'recommendationEvent'))`. */
export function ofType<K extends ResponseEventType>(...types: K[]): OperatorFunction<AgentEvent, AgentEventOf<K>> {
  const wanted = new Set<string>(types);
  return filter((event): event is AgentEventOf<K> => event.known && wanted.has(event.type));
}

/**
 * Keeps every handover event, of all kinds: the known ones typed, and kinds this version does not know yet
 * (any key ending in `HandoverEvent`) as `UnknownHandoverEvent`.
 */
export function handovers(): OperatorFunction<AgentEvent, HandoverAgentEvent | UnknownHandoverEvent> {
  return filter(isHandoverEvent);
}

/** The agent's reply text, one string per text message. */
export function replyText(): OperatorFunction<AgentEvent, string> {
  return (source: Observable<AgentEvent>) =>
    source.pipe(
      map(messageText),
      filter((text): text is string => typeof text === 'string' && text.length > 0),
    );
}

/** Gathers the stream into one `AgentReply` when it completes. */
export function toReply(): OperatorFunction<AgentEvent, AgentReply> {
  return (source: Observable<AgentEvent>) =>
    source.pipe(
      reduce<AgentEvent, AgentEvent[]>((all, event) => {
        all.push(event);
        return all;
      }, []),
      map(summarizeReply),
    );
}
