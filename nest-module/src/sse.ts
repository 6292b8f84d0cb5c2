// toSse(): an invoke stream as Nest `MessageEvent`s for an `@Sse()` route, with an optional heartbeat,
// a final `done` event, and a safe, typed error event instead of Nest's bare "Internal server error".

import type { MessageEvent } from '@nestjs/common';
import {
  type AgentEvent,
  ConnectlyApiError,
  ConnectlyConnectionError,
  ConnectlyError,
  ConnectlyValidationError,
  MAX_TIMER_MS,
} from 'connectly-agent-graph';
import { EMPTY, Observable, catchError, concat, defer, map, of } from 'rxjs';

export interface ToSseOptions {
  /** Send a `: keepalive` comment this often (ms, 1 000 to 2 147 483 647), so proxies keep a quiet stream open. Off by default. */
  heartbeatMs?: number;
  /** Event type of the final error event. Default `'connectly.error'`. */
  errorEventType?: string;
  /** Event type of the event sent when the reply is complete; `null` sends none. Default `'connectly.done'`. */
  doneEventType?: string | null;
  /** Turns an agent event into a message event. Default: `{ type: event.type, id: '1', '2'…, data: event }`. */
  mapEvent?: (event: AgentEvent, index: number) => MessageEvent;
}

/** What the error event carries: enough for a UI to act, nothing secret (no key, no stack). */
export interface SseErrorData {
  name: string;
  message: string;
  status?: number;
  code?: number;
  codeName?: string;
}

export function toSseError(error: unknown): SseErrorData {
  if (error instanceof ConnectlyApiError) {
    return {
      name: error.name,
      message: error.message,
      status: error.status,
      code: error.code,
      codeName: error.codeName,
    };
  }
  // A connection error names the host the server reached for, which is not the browser's business.
  if (error instanceof ConnectlyConnectionError) {
    const message =
      error.phase === 'connect'
        ? 'The agent could not be reached'
        : 'The connection to the agent broke before the reply was complete';
    return { name: error.name, message };
  }
  if (error instanceof ConnectlyError) return { name: error.name, message: error.message };
  return { name: 'Error', message: 'The agent reply failed unexpectedly' };
}

// Shorter than a second is a flood of comments, not a keep-alive; longer than a timer can wait fires at once.
const HEARTBEAT_MIN_MS = 1000;
const HEARTBEAT_MAX_MS = MAX_TIMER_MS;

function checkHeartbeat(value: unknown): number | undefined {
  if (value === undefined || value === 0) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < HEARTBEAT_MIN_MS || value > HEARTBEAT_MAX_MS) {
    throw new ConnectlyValidationError(
      'heartbeatMs',
      `\`heartbeatMs\` must be a whole number of milliseconds from ${HEARTBEAT_MIN_MS} to ${HEARTBEAT_MAX_MS} ` +
        `(or 0 for none), got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

/**
 * Pass the stream, or a function that returns it: with a function, an error thrown while building the
 * stream also becomes the error event instead of an HTTP 500. A bad `heartbeatMs` throws a
 * ConnectlyValidationError at once: it is the route's own mistake, not the caller's.
 */
export function toSse(
  events: Observable<AgentEvent> | (() => Observable<AgentEvent>),
  options: ToSseOptions = {},
): Observable<MessageEvent> {
  const events$ = typeof events === 'function' ? defer(events) : events;
  const errorType = options.errorEventType ?? 'connectly.error';
  const doneType = options.doneEventType === undefined ? 'connectly.done' : options.doneEventType;
  const mapEvent =
    options.mapEvent ??
    ((event: AgentEvent, index: number) => ({ type: event.type, id: String(index + 1), data: event }));
  // The closing events continue the numbering, so a client can tell it has seen everything.
  let sent = 0;
  const body = concat(
    events$.pipe(map((event) => mapEvent(event, sent++))),
    defer(() => (doneType === null ? EMPTY : of<MessageEvent>({ type: doneType, id: String(sent + 1), data: {} }))),
  ).pipe(
    catchError((error: unknown) =>
      of<MessageEvent>({ type: errorType, id: String(sent + 1), data: toSseError(error) }),
    ),
  );
  return withHeartbeat(body, options.heartbeatMs);
}

/** `events` with a `: keepalive` comment every `heartbeatMs` (none when undefined or 0); a bad value throws at once. */
export function withHeartbeat(
  events: Observable<MessageEvent>,
  heartbeatMs: number | undefined,
): Observable<MessageEvent> {
  const every = checkHeartbeat(heartbeatMs);
  if (every === undefined) return events;
  return new Observable<MessageEvent>((subscriber) => {
    // Nest writes `{ comment }` as an SSE comment line (": keepalive"), which clients ignore.
    const timer = setInterval(() => subscriber.next({ comment: 'keepalive' }), every);
    const subscription = events.subscribe(subscriber);
    return () => {
      clearInterval(timer);
      subscription.unsubscribe();
    };
  });
}
