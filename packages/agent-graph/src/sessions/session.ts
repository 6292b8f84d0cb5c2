// A conversation with one customer: the shape every session has, and the session that lives in one
// object (no session store): init once (lazily), send turns, close at the end.

import { Observable, defer, firstValueFrom, switchMap, throwError } from 'rxjs';
import { ConnectlyValidationError } from '../errors/errors.js';
import type { CallOptions } from '../http/options.js';
import type { AgentEvent } from '../wire/events.js';
import type { AgentReply } from '../agent/reply.js';
import { TurnViews } from '../agent/turn-views.js';
import { asValidationError, checkTurnEvents, checkTurnText, requireString } from '../decoding/validate.js';
import type { InputEvent } from '../wire/api.js';
import type { CloseRequest, CloseResult, InitRequest, InitResult, InvokeRequest } from '../agent/requests.js';

/** What a session needs of a client: `ConnectlyClient` itself, or an adapter that wraps its calls. */
export interface SessionClient {
  init(request: InitRequest, options?: CallOptions): Observable<InitResult>;
  invoke(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent>;
  invokeSync(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent>;
  close(request: CloseRequest, options?: CallOptions): Observable<CloseResult>;
}

export interface SessionOptions {
  clientKey: string;
  /** Resume an existing session instead of starting one (not with a session store: the store knows it). */
  sessionId?: string;
  agentId?: string;
  businessId?: string;
}

/** What a turn carries: plain user text, one input event, or several. */
export type TurnInput = string | InputEvent | InputEvent[];

/** A conversation with one customer, whether it lives in one object or in a shared session store. */
export interface AgentSession {
  readonly clientKey: string;
  /** The session id, once known. */
  readonly sessionId: string | undefined;
  readonly closed: boolean;
  /** Finds or starts the session; resolves with its id. */
  start(options?: CallOptions): Promise<string>;
  /** Sends one turn and streams the reply (cold: nothing happens until subscribed). */
  send(input: TurnInput, options?: CallOptions): Observable<AgentEvent>;
  /** Sends one turn and yields the reply's events: `for await (const event of session.stream('Hi'))`; `break` aborts it. */
  stream(input: TurnInput, options?: CallOptions): AsyncIterable<AgentEvent>;
  /** Sends one turn, as a web `ReadableStream` of the reply's events: the first read sends it, `cancel()` aborts it. */
  readableStream(input: TurnInput, options?: CallOptions): ReadableStream<AgentEvent>;
  /** Sends one turn and resolves with the whole reply. */
  reply(input: TurnInput, options?: CallOptions): Promise<AgentReply>;
  /** Sends one turn through invoke_sync (no streaming). */
  sendSync(input: TurnInput, options?: CallOptions): Observable<AgentEvent>;
  /** Closes the session on the server. Safe to call twice. */
  close(options?: CallOptions): Promise<void>;
}

/**
 * A session that lives in this object only: each object starts its own session, and turns sent at
 * once are sent at once (nothing queues them). Give the client a `sessionStore` to share sessions.
 */
export class ConnectlySession extends TurnViews<TurnInput, CallOptions> implements AgentSession {
  readonly clientKey: string;
  #sessionId: string | undefined;
  #starting: Promise<string> | undefined;
  #closed = false;

  constructor(
    private readonly client: SessionClient,
    private readonly options: SessionOptions,
  ) {
    super();
    this.clientKey = requireString(options?.clientKey, 'clientKey', "the customer's id in your system");
    if (options.sessionId !== undefined) this.#sessionId = requireString(options.sessionId, 'sessionId');
  }

  /** The session id, once the session has started. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts the session if it has not started yet; resolves with its id. Concurrent calls share one init. */
  start(options?: CallOptions): Promise<string> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#sessionId !== undefined) return Promise.resolve(this.#sessionId);
    this.#starting ??= firstValueFrom(
      this.client.init({ clientKey: this.clientKey, ...this.businessIdOption() }, options),
    ).then(
      ({ sessionId }) => (this.#sessionId = sessionId),
      (error: unknown) => {
        this.#starting = undefined; // the next turn tries again
        throw error;
      },
    );
    return this.#starting;
  }

  /** Sends one turn and streams the reply (cold: starts the session on first subscription if needed). */
  send(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.turn(
      input,
      (sessionId, inputEvents) => this.client.invoke(this.request(sessionId, inputEvents), options),
      options,
    );
  }

  /** Sends one turn through invoke_sync (no streaming). */
  sendSync(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.turn(
      input,
      (sessionId, inputEvents) => this.client.invokeSync(this.request(sessionId, inputEvents), options),
      options,
    );
  }

  /** Closes the session on the server. Safe to call twice, or when the session never started. */
  async close(options?: CallOptions): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sessionId = this.#sessionId ?? (await this.#starting?.catch(() => undefined));
    if (sessionId === undefined) return;
    await firstValueFrom(
      this.client.close({ clientKey: this.clientKey, sessionId, ...this.businessIdOption() }, options),
    );
  }

  /** `stream`, `readableStream` and `reply` are the turn of `send`. */
  protected override turnEvents(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.send(input, options);
  }

  // Bad input and a closed session are reported through the Observable, before a session is started.
  private turn(
    input: TurnInput,
    send: (sessionId: string, inputEvents: InputEvent[]) => Observable<AgentEvent>,
    options: CallOptions | undefined,
  ): Observable<AgentEvent> {
    let inputEvents: InputEvent[];
    try {
      if (this.#closed) throw closedError();
      inputEvents = toInputEvents(input);
    } catch (error) {
      return throwError(() => error);
    }
    return defer(() => this.start(options)).pipe(switchMap((sessionId) => send(sessionId, inputEvents)));
  }

  private request(sessionId: string, inputEvents: InputEvent[]) {
    return {
      clientKey: this.clientKey,
      sessionId,
      inputEvents,
      ...(this.options.agentId === undefined ? {} : { agentId: this.options.agentId }),
      ...this.businessIdOption(),
    };
  }

  private businessIdOption(): { businessId?: string } {
    return this.options.businessId === undefined ? {} : { businessId: this.options.businessId };
  }
}

export function closedError(): ConnectlyValidationError {
  return new ConnectlyValidationError('session', 'This session is closed: start a new one with client.session()');
}

/** Checked once, here: invoke sends the checked events as they are. */
export function toInputEvents(input: TurnInput): InputEvent[] {
  if (typeof input === 'string') return checkTurnText(input);
  try {
    return checkTurnEvents(Array.isArray(input) ? input : [input]);
  } catch (error) {
    throw asValidationError(error, 'inputEvents');
  }
}
