// The injectable face of the core client. Every stream it hands out ends with a ConnectlyAbortError when
// the application shuts down, which aborts its upstream request, so open SSE responses cannot hold
// `app.close()` open. A session store the module built is closed once the last turn has let go of it.

import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import {
  type AgentEvent,
  type CallOptions,
  type Endpoint,
  type CloseRequest,
  type CloseResult,
  ConnectlyAbortError,
  ConnectlyClient,
  type AgentSession,
  type HealthRequest,
  type HealthResult,
  type InitRequest,
  type InitResult,
  type InvokeRequest,
  type SessionClient,
  type SessionOptions,
  type TurnInput,
  TurnViews,
} from 'connectly-agent-graph';
import { Observable, Subject, lastValueFrom } from 'rxjs';
import { CONNECTLY_CLIENT } from './connectly.constants.js';
import { CONNECTLY_SESSION_STORE, type ResolvedSessionStore } from './connectly.session-store.js';

// After completing open streams, give their last bytes a moment to leave: Node closes only idle
// connections, and a keep-alive client's final chunk is often still being written.
const FLUSH_MS = 50;

@Injectable()
export class ConnectlyService
  extends TurnViews<InvokeRequest, CallOptions>
  implements SessionClient, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Connectly');
  private readonly shutdown$ = new Subject<void>();
  private open = 0;

  constructor(
    @Inject(CONNECTLY_CLIENT) readonly client: ConnectlyClient,
    @Optional() @Inject(CONNECTLY_SESSION_STORE) private readonly sessionStore?: ResolvedSessionStore,
  ) {
    super();
  }

  /** Streams the agent's reply to one turn (cold: one request per subscription; unsubscribing aborts it). */
  invoke(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.track('invoke', this.client.invoke(request, options));
  }

  /** The same turn through invoke_sync: the events arrive together when the reply is complete. */
  invokeSync(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.track('invoke_sync', this.client.invokeSync(request, options));
  }

  init(request: InitRequest, options?: CallOptions): Observable<InitResult> {
    return this.track('init', this.client.init(request, options));
  }

  close(request: CloseRequest, options?: CallOptions): Observable<CloseResult> {
    return this.track('close', this.client.close(request, options));
  }

  health(request?: HealthRequest, options?: CallOptions): Observable<HealthResult> {
    return this.track('health', this.client.health(request, options));
  }

  /** Resolves true when the API answers healthy; rejects when it cannot be reached. For health checks. */
  async ping(signal?: AbortSignal): Promise<boolean> {
    const { healthy } = await lastValueFrom(this.health({}, signal ? { signal } : undefined));
    return healthy;
  }

  /**
   * A conversation with one customer. With a `sessionStore` in the module options it is found in (or
   * started into) the store, shared by every instance of the app; its calls end on shutdown like any other.
   */
  session(options: SessionOptions): AgentSession {
    // Turns waiting in the session's queue end on shutdown too, so they let go of the store's lock.
    return new TrackedSession(this.client.session(options), (endpoint, events) => this.track(endpoint, events));
  }

  /** Completes every open stream (aborting its request) so the HTTP server can close. */
  async beforeApplicationShutdown(): Promise<void> {
    const open = this.open;
    this.shutdown$.next();
    if (open > 0) {
      this.logger.log(`Completed ${open} open Connectly stream(s) for shutdown`);
      await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
    }
  }

  /** Closes the session store the module built, once every turn of this process has released its lock. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.sessionStore?.owned) return;
    await this.client.sessionsIdle();
    await this.sessionStore.store?.close?.();
  }

  /** `stream`, `readableStream` and `reply` are the turn of `invoke`: they end on shutdown too. */
  protected override turnEvents(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.invoke(request, options);
  }

  // Counts the stream while it is open, and ends it with a ConnectlyAbortError when the app shuts down
  // (unsubscribing from the core aborts the upstream request).
  private track<T>(endpoint: Endpoint, source: Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.open += 1;
      const stop = this.shutdown$.subscribe(() =>
        subscriber.error(new ConnectlyAbortError(endpoint, 'because the application is shutting down')),
      );
      const subscription = source.subscribe(subscriber);
      return () => {
        this.open -= 1;
        stop.unsubscribe();
        subscription.unsubscribe();
      };
    });
  }
}

/** A session of the core whose turns are tracked by the service: they end when the application shuts down. */
class TrackedSession extends TurnViews<TurnInput, CallOptions> implements AgentSession {
  readonly #session: AgentSession;
  readonly #track: (endpoint: Endpoint, events: Observable<AgentEvent>) => Observable<AgentEvent>;

  constructor(
    session: AgentSession,
    track: (endpoint: Endpoint, events: Observable<AgentEvent>) => Observable<AgentEvent>,
  ) {
    super();
    this.#session = session;
    this.#track = track;
  }

  get clientKey(): string {
    return this.#session.clientKey;
  }

  get sessionId(): string | undefined {
    return this.#session.sessionId;
  }

  get closed(): boolean {
    return this.#session.closed;
  }

  // What a log shows: the conversation, never the client or the store behind it.
  toJSON(): Record<string, unknown> {
    return { clientKey: this.clientKey, sessionId: this.sessionId, closed: this.closed };
  }

  start(options?: CallOptions): Promise<string> {
    return this.#session.start(options);
  }

  send(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.#track('invoke', this.#session.send(input, options));
  }

  sendSync(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.#track('invoke_sync', this.#session.sendSync(input, options));
  }

  close(options?: CallOptions): Promise<void> {
    return this.#session.close(options);
  }

  protected override turnEvents(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.send(input, options);
  }
}
