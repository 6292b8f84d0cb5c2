// The client: the request pipeline (http/) with the Agent Graph API on it (agent/), and the sessions that
// carry a conversation over it (sessions/). Every call returns a cold Observable: nothing is sent until it
// is subscribed, each subscription sends one request, and unsubscribing aborts it.

import type { Observable } from 'rxjs';
import { AgentGraph } from './agent/agent-graph.js';
import type {
  CloseRequest,
  CloseResult,
  HealthRequest,
  HealthResult,
  InitRequest,
  InitResult,
  InvokeRequest,
} from './agent/requests.js';
import { TurnViews } from './agent/turn-views.js';
import type { CallOptions } from './http/options.js';
import { Pipeline } from './http/pipeline.js';
import { inspectCustom } from './http/platform.js';
import { REDACTED } from './errors/redaction.js';
import { type ConnectlyClientOptions, resolveOptions } from './options.js';
import { type AgentSession, ConnectlySession, type SessionClient, type SessionOptions } from './sessions/session.js';
import { SharedConversations } from './sessions/shared-session.js';
import type { AgentEvent } from './wire/events.js';

export class ConnectlyClient extends TurnViews<InvokeRequest, CallOptions> implements SessionClient {
  readonly baseUrl: string;
  readonly businessId: string;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly maxLineLength: number;
  readonly userAgent: string;
  readonly #agent: AgentGraph;
  readonly #conversations: SharedConversations | undefined;

  constructor(options: ConnectlyClientOptions) {
    super();
    const resolved = resolveOptions(options);
    const pipeline = new Pipeline(resolved);
    this.businessId = resolved.businessId;
    this.baseUrl = resolved.baseUrl;
    this.timeoutMs = resolved.timeoutMs;
    this.idleTimeoutMs = resolved.idleTimeoutMs;
    this.maxRetries = resolved.maxRetries;
    this.retryBaseDelayMs = resolved.retryBaseDelayMs;
    this.maxRetryDelayMs = resolved.maxRetryDelayMs;
    this.maxLineLength = resolved.maxLineLength;
    this.userAgent = resolved.userAgent;
    const callDefaults = pipeline.callDefaults(this.timeoutMs, this.idleTimeoutMs);
    this.#agent = new AgentGraph(pipeline, callDefaults, this.maxLineLength);
    this.#conversations =
      resolved.sessions &&
      new SharedConversations(resolved.sessions, this.businessId, pipeline.scheduler, callDefaults);
  }

  /**
   * Sends the customer's events and streams the agent's reply: one typed event per element of
   * `responseEvents`, emitted as soon as its line arrives. Cold: one request per subscription.
   */
  invoke(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.#agent.invoke(request, options);
  }

  /** The same turn as `invoke`, answered in one piece: the events are emitted together once the whole reply is ready. */
  invokeSync(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.#agent.invokeSync(request, options);
  }

  /** Starts a conversation for one customer; emits `{ sessionId }`. */
  init(request: InitRequest, options?: CallOptions): Observable<InitResult> {
    return this.#agent.init(request, options);
  }

  /** Ends a session; its sessionId cannot be used afterwards. */
  close(request: CloseRequest, options?: CallOptions): Observable<CloseResult> {
    return this.#agent.close(request, options);
  }

  /** Asks whether the API is up. A missing or false `healthy` means unhealthy. */
  health(request: HealthRequest = {}, options?: CallOptions): Observable<HealthResult> {
    return this.#agent.health(request, options);
  }

  /**
   * A conversation with one customer. With a `sessionStore`, finds the customer's session in the store
   * or starts one, and keeps the customer's turns in order; without, the object starts its own session
   * on first use. `via` makes the calls (an adapter wrapping this client); default this client.
   */
  session(options: SessionOptions, via: SessionClient = this): AgentSession {
    return this.#conversations ? this.#conversations.open(via, options) : new ConnectlySession(via, options);
  }

  /**
   * Resolves once this process has no session turn in progress or queued, every store lock released:
   * await it (after cancelling what should not finish) before closing the session store.
   */
  sessionsIdle(): Promise<void> {
    return this.#conversations?.idle() ?? Promise.resolve();
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      businessId: this.businessId,
      apiKey: REDACTED,
      timeoutMs: this.timeoutMs,
      idleTimeoutMs: this.idleTimeoutMs,
      maxRetries: this.maxRetries,
    };
  }

  // Node passes its own `inspect` as the third argument, so the core needs no `node:util`.
  [inspectCustom](_depth: number, _options: unknown, inspect?: (value: unknown) => string): string {
    const shown = typeof inspect === 'function' ? inspect(this.toJSON()) : JSON.stringify(this.toJSON());
    return `ConnectlyClient ${shown}`;
  }

  override toString(): string {
    return `ConnectlyClient(${this.baseUrl}, business ${this.businessId})`;
  }

  /** `stream`, `readableStream` and `reply` are the turn of `invoke`. */
  protected override turnEvents(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.invoke(request, options);
  }
}
