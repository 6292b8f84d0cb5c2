// Resumable replies: ConnectlyTurns runs a turn detached from the HTTP connection (its events go to the
// turn log store) and serves it as SSE from any replica, from the `Last-Event-ID` a reconnecting client sends.

import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type MessageEvent,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import {
  type AgentEvent,
  ConnectlyValidationError,
  type OpenTelemetryApi,
  type TelemetrySpan,
  TurnLog,
  type TurnLogItem,
} from 'connectly-agent-graph';
import { Observable, Subject, type Subscription, catchError, map, of, takeUntil } from 'rxjs';
import { CONNECTLY_MODULE_OPTIONS } from './connectly.module-definition.js';
import type { ResumableOptions } from './resumable-options.js';
import { toSseError, withHeartbeat } from './sse.js';

/** What the module resolved from the `resumable` option. */
export interface ResolvedTurnLog {
  turnLog: TurnLog | undefined;
  /** True when the module built the store, so it closes it. */
  owned: boolean;
}

/** The resolved turn log. Override it in tests like any provider. */
export const CONNECTLY_TURN_LOG: unique symbol = Symbol('CONNECTLY_TURN_LOG');

/**
 * A suggested `maxPendingDataLength` for the `@Sse()` route of resumable turns (256 KiB): a client that
 * stops reading has its connection closed once this much waits for it, and resumes from its last id.
 */
export const RESUMABLE_MAX_PENDING_DATA_LENGTH = 256 * 1024;

export async function resolveTurnLog(option: ResumableOptions | undefined): Promise<ResolvedTurnLog> {
  if (option === undefined) return { turnLog: undefined, owned: false };
  if (typeof option !== 'object' || option === null) {
    throw new ConnectlyValidationError(
      'resumable',
      '`resumable` must be an object such as { store: new RedisTurnLogStore({ url }) }',
    );
  }
  const owned = typeof option.store === 'function';
  const store = typeof option.store === 'function' ? await option.store() : option.store;
  try {
    return { turnLog: new TurnLog({ ...option, store }), owned };
  } catch (error) {
    if (error instanceof ConnectlyValidationError) {
      throw new ConnectlyValidationError(
        `resumable.${error.field}`,
        `ConnectlyModule options are invalid: ${error.message}`,
      );
    }
    throw error;
  }
}

export interface ResumableSseOptions {
  /** Send a `: keepalive` comment this often (ms, ≥ 1 000). Off by default. */
  heartbeatMs?: number;
  /** Event type of the final error event. Default `'connectly.error'`. */
  errorEventType?: string;
  /** Event type of the event sent when the reply is complete (or stopped). Default `'connectly.done'`. */
  doneEventType?: string;
}

/** The id a reconnecting client sent (`Last-Event-ID` header, or a query parameter): 0 for none. */
export function lastEventId(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return 0;
  if (!/^\d{1,15}$/.test(text)) {
    throw new ConnectlyValidationError(
      'lastEventId',
      `\`Last-Event-ID\` must be the id of an event of this reply (a whole number), got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return Number(text);
}

/** The parts of `@opentelemetry/api` a resumed stream uses beyond the client's: links to the turn's trace. */
interface TracingApi extends OpenTelemetryApi {
  trace: OpenTelemetryApi['trace'] & { getSpanContext(context: unknown): object | undefined };
  propagation: OpenTelemetryApi['propagation'] & {
    extract(context: unknown, carrier: Record<string, string>): unknown;
  };
}

// SpanKind.INTERNAL of @opentelemetry/api.
const SPAN_KIND_INTERNAL = 0;

// One event per turn of the event loop: Nest writes each to the connection before the next is queued,
// so a replay never piles up in memory, and only a client that is not reading reaches the route's cap.
const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// After completing open streams, give their last bytes a moment to leave (see ConnectlyService).
const FLUSH_MS = 50;

/**
 * Resumable turns, for `@Sse()` routes. Needs the `resumable` module option. A turn runs in the replica
 * that started it until it completes, fails or is stopped; a client disconnecting never ends it.
 */
@Injectable()
export class ConnectlyTurns implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly shutdown$ = new Subject<void>();
  private open = 0;

  constructor(
    @Optional() @Inject(CONNECTLY_TURN_LOG) private readonly resolved?: ResolvedTurnLog,
    @Optional() @Inject(CONNECTLY_MODULE_OPTIONS) private readonly options?: { openTelemetry?: OpenTelemetryApi },
  ) {}

  private get tracing(): TracingApi | undefined {
    return this.options?.openTelemetry as TracingApi | undefined;
  }

  /** The core TurnLog (its store, retention and lease). */
  get turnLog(): TurnLog {
    const turnLog = this.resolved?.turnLog;
    if (turnLog === undefined) {
      throw new ConnectlyValidationError(
        'resumable',
        'Resumable turns need a turn log store: add `resumable: { store: new RedisTurnLogStore({ url }) }` ' +
          '(or `new MemoryTurnLogStore()` for one process) to the ConnectlyModule options',
      );
    }
    return turnLog;
  }

  /**
   * Starts a turn and resolves with its id once it is logged: `events` is subscribed once, in this
   * replica, e.g. `() => connectly.session({ clientKey }).send(text)`. Failures become the turn's error event.
   */
  async start(events: () => Observable<AgentEvent>, options: { turnId?: string } = {}): Promise<{ turnId: string }> {
    // With OpenTelemetry, the turn keeps the trace context it started in: each stream that reads it links to it.
    const otel = this.tracing;
    const carrier: Record<string, string> = {};
    otel?.propagation.inject(otel.context.active(), carrier);
    const meta = Object.keys(carrier).length > 0 ? JSON.stringify({ trace: carrier }) : undefined;
    const { turnId } = await this.turnLog.start(events, {
      ...options,
      describeError: toSseError,
      ...(meta === undefined ? {} : { meta }),
    });
    return { turnId };
  }

  /** Stops a turn, whichever replica runs it. Resolves false when it is unknown or has already ended. */
  stop(turnId: string): Promise<boolean> {
    return this.turnLog.stop(turnId);
  }

  /**
   * The turn as SSE from the event after `after` (a `Last-Event-ID`, see `lastEventId()`; 0 or undefined:
   * from the start): `id:` on every event, the same ids and bytes whichever replica serves it and however
   * often the client reconnects; then `connectly.done` (`{}`, or `{ "stopped": true }`) or `connectly.error`.
   */
  sse(turnId: string, after: number | string | undefined, options: ResumableSseOptions = {}): Observable<MessageEvent> {
    const errorType = options.errorEventType ?? 'connectly.error';
    const doneType = options.doneEventType ?? 'connectly.done';
    const toMessage = (item: TurnLogItem): MessageEvent => {
      if ('event' in item) return { type: item.event.type, id: String(item.id), data: item.event };
      if (item.end === 'completed') return { type: doneType, id: String(item.id), data: {} };
      if (item.end === 'stopped') return { type: doneType, id: String(item.id), data: { stopped: true } };
      return { type: errorType, id: String(item.id), data: item.error ?? {} };
    };
    const body = new Observable<MessageEvent>((subscriber) => {
      const from = typeof after === 'number' ? after : lastEventId(after);
      this.open += 1;
      const subscription = this.traced(turnId, from, this.turnLog.follow(turnId, from, { ready: nextTick }))
        .pipe(
          map(toMessage),
          // On shutdown the connection just closes: the client reconnects to another replica and resumes.
          takeUntil(this.shutdown$),
        )
        .subscribe(subscriber);
      return () => {
        this.open -= 1;
        subscription.unsubscribe();
      };
    }).pipe(catchError((error: unknown) => of<MessageEvent>({ type: errorType, data: toSseError(error) })));
    return withHeartbeat(body, options.heartbeatMs);
  }

  // With OpenTelemetry: a span per stream (`connectly turn.follow`), a child of the request's, linked to
  // the context the turn was started in, with the turn id, the id resumed after and the events sent.
  private traced(turnId: string, from: number, items: Observable<TurnLogItem>): Observable<TurnLogItem> {
    const otel = this.tracing;
    if (otel === undefined) return items;
    return new Observable<TurnLogItem>((subscriber) => {
      const parent = otel.context.active();
      let span: TelemetrySpan | undefined;
      let inner: Subscription | undefined;
      let closed = false;
      let sent = 0;
      this.turnLog
        .meta(turnId)
        .catch(() => undefined)
        .then((meta) => {
          if (closed) return;
          const carrier =
            meta === undefined ? undefined : (JSON.parse(meta) as { trace?: Record<string, string> }).trace;
          const linked = carrier && otel.trace.getSpanContext(otel.propagation.extract(parent, carrier));
          const attributes = { 'connectly.turn_id': turnId, 'connectly.last_event_id': String(from) };
          const tracer = otel.trace.getTracer('nestjs-connectly') as unknown as {
            startSpan(
              name: string,
              options: { kind: number; attributes: Record<string, string>; links: Array<{ context: object }> },
              context: unknown,
            ): TelemetrySpan;
          };
          span = tracer.startSpan(
            'connectly turn.follow',
            { kind: SPAN_KIND_INTERNAL, attributes, links: linked ? [{ context: linked }] : [] },
            parent,
          );
          inner = items.subscribe({
            next: (item) => {
              sent += 1;
              if ('end' in item) span?.setAttribute('connectly.turn_end', item.end);
              subscriber.next(item);
            },
            error: (error: unknown) => subscriber.error(error),
            complete: () => subscriber.complete(),
          });
        });
      return () => {
        closed = true;
        inner?.unsubscribe();
        span?.setAttribute('connectly.events', sent);
        span?.end();
      };
    });
  }

  /** Closes the open resumable streams and ends this replica's running turns as interrupted. */
  async beforeApplicationShutdown(): Promise<void> {
    const open = this.open;
    this.shutdown$.next();
    await this.resolved?.turnLog?.close();
    if (open > 0) await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
  }

  /** Closes the turn log store the module built. */
  async onApplicationShutdown(): Promise<void> {
    if (this.resolved?.owned) await this.resolved.turnLog?.store.close?.();
  }
}
