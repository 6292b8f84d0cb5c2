// The client: the request pipeline (timeouts, retries, cancellation) and the five endpoints.
// Every call returns a cold Observable: nothing is sent until it is subscribed, each subscription sends
// one request, and unsubscribing aborts it. Every failure, bad input included, arrives through it.

import { Observable, lastValueFrom, throwError } from 'rxjs';
import { sendWithRetries } from './attempts.js';
import { Call, type CallContext } from './call.js';
import { AgentEventDecoder, type UnaryAnswer, eventsOfResponse, parseUnary, readErrorBody } from './envelope.js';
import { ConnectlyAbortError, ConnectlyApiError, ConnectlyProtocolError, redact } from './errors.js';
import type { AgentEvent } from './events.js';
import { toReply } from './operators.js';
import {
  type CallDefaults,
  type CallOptions,
  type CallSettings,
  type ConnectlyClientOptions,
  resolveCallSettings,
  resolveOptions,
} from './options.js';
import { type Scheduler, inspectCustom } from './platform.js';
import type { AgentReply } from './reply.js';
import {
  type CloseRequest,
  type CloseResult,
  type HealthRequest,
  type HealthResult,
  type InitRequest,
  type InitResult,
  type InvokeRequest,
  closeBody,
  healthBody,
  initBody,
  invokeBody,
} from './requests.js';
import { type AgentSession, ConnectlySession, type SessionClient, type SessionOptions } from './session.js';
import { SharedConversations } from './shared-session.js';
import { asValidationError } from './validate.js';
import type { FetchLike, TransportResponse } from './transport.js';
import { API_PATH, type Endpoint, type RpcStatus } from './wire.js';
import { toAsyncIterable, toReadableStream } from './iterate.js';
import { CallLog, type ConnectlyLogger, type OpenTelemetryApi } from './call-log.js';
import { VERSION } from './version.js';

interface Subscriber<T> {
  next(value: T): void;
  readonly closed: boolean;
}

// Marks an abort caused by the subscriber leaving: nothing is reported after it.
const UNSUBSCRIBED = Symbol('unsubscribed');

export class ConnectlyClient {
  readonly baseUrl: string;
  readonly businessId: string;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly maxLineLength: number;
  readonly userAgent: string;
  readonly #apiKey: string;
  readonly #sendApiKey: boolean;
  readonly #fetch: FetchLike;
  readonly #scheduler: Scheduler;
  readonly #callDefaults: CallDefaults;
  readonly #context: CallContext;
  readonly #logger: ConnectlyLogger | undefined;
  readonly #openTelemetry: OpenTelemetryApi | undefined;
  // Where errors say they were trying to reach: never the key, never userinfo of the URL.
  readonly #host: string;
  readonly #conversations: SharedConversations | undefined;

  constructor(options: ConnectlyClientOptions) {
    const resolved = resolveOptions(options);
    this.#apiKey = resolved.apiKey;
    this.#sendApiKey = resolved.sendApiKey;
    this.businessId = resolved.businessId;
    this.baseUrl = resolved.baseUrl;
    this.#host = new URL(this.baseUrl).host;
    this.timeoutMs = resolved.timeoutMs;
    this.idleTimeoutMs = resolved.idleTimeoutMs;
    this.maxRetries = resolved.maxRetries;
    this.retryBaseDelayMs = resolved.retryBaseDelayMs;
    this.maxRetryDelayMs = resolved.maxRetryDelayMs;
    this.maxLineLength = resolved.maxLineLength;
    this.#fetch = resolved.fetch;
    this.userAgent = resolved.userAgent;
    this.#scheduler = resolved.scheduler;
    this.#context = { scheduler: this.#scheduler, host: this.#host, sanitize: this.sanitize };
    this.#callDefaults = {
      timeoutMs: this.timeoutMs,
      idleTimeoutMs: this.idleTimeoutMs,
      fetchLimitMs: resolved.fetchLimitMs,
    };
    this.#conversations =
      resolved.sessions &&
      new SharedConversations(resolved.sessions, this.businessId, this.#scheduler, this.#callDefaults);
    this.#logger = resolved.logger;
    this.#openTelemetry = resolved.openTelemetry;
  }

  /**
   * Sends the customer's events and streams the agent's reply: one typed event per element of
   * `responseEvents`, emitted as soon as its line arrives. Cold: one request per subscription.
   */
  invoke(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.observe(
      'invoke',
      invokeBody,
      request,
      options,
      async (response, call, subscriber: Subscriber<AgentEvent>, body) => {
        let apiError: RpcStatus | undefined;
        const decoder = new AgentEventDecoder(
          {
            event: (event) => subscriber.next(event),
            error: (status) => (apiError = status),
          },
          { maxLineLength: this.maxLineLength, sanitize: this.sanitize, sessionId: body.sessionId },
        );
        await call.consume(response, (chunk) => {
          decoder.write(chunk);
          return apiError === undefined && !subscriber.closed;
        });
        if (apiError === undefined) decoder.end();
        if (apiError !== undefined) throw ConnectlyApiError.from('invoke', 200, apiError, this.sanitize);
      },
    );
  }

  /** The same turn as `invoke`, answered in one piece: the events are emitted together once the whole reply is ready. */
  invokeSync(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.observe(
      'invoke_sync',
      invokeBody,
      request,
      options,
      async (response, call, subscriber: Subscriber<AgentEvent>, body) => {
        const { response: reply } = await this.readUnary(response, call);
        const events = eventsOfResponse({ ...reply, sessionId: reply.sessionId ?? body.sessionId }, this.sanitize);
        for (const event of events) {
          if (subscriber.closed) return;
          subscriber.next(event);
        }
      },
    );
  }

  /** Starts a conversation for one customer; emits `{ sessionId }`. */
  init(request: InitRequest, options?: CallOptions): Observable<InitResult> {
    return this.observe(
      'init',
      initBody,
      request,
      options,
      async (response, call, subscriber: Subscriber<InitResult>) => {
        const { value, response: answer } = await this.readUnary(response, call);
        const sessionId = answer.sessionId as unknown;
        if (typeof sessionId !== 'string' || sessionId.length === 0) {
          const why = 'the answer has no "response.sessionId"';
          throw ConnectlyProtocolError.unexpectedShape('init', why, value, this.sanitize);
        }
        subscriber.next({ sessionId });
      },
    );
  }

  /** Ends a session; its sessionId cannot be used afterwards. */
  close(request: CloseRequest, options?: CallOptions): Observable<CloseResult> {
    return this.observe(
      'close',
      closeBody,
      request,
      options,
      async (response, call, subscriber: Subscriber<CloseResult>, body) => {
        // close answers like a stream: one `{"result":{"response":{}}}` line, sometimes with `"error": null`.
        await this.readUnary(response, call, true);
        subscriber.next({ sessionId: body.sessionId, closed: true });
      },
    );
  }

  /** Asks whether the API is up. A missing or false `healthy` means unhealthy. */
  health(request: HealthRequest = {}, options?: CallOptions): Observable<HealthResult> {
    return this.observe(
      'health',
      healthBody,
      request,
      options,
      async (response, call, subscriber: Subscriber<HealthResult>) => {
        const { response: answer } = await this.readUnary(response, call);
        subscriber.next({ healthy: answer['healthy'] === true });
      },
    );
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

  /**
   * The turn of `invoke` as an AsyncIterable: `for await (const event of client.stream(request))`. Each
   * iteration sends one request; `break` aborts it; errors are thrown after the events that preceded them.
   */
  stream(request: InvokeRequest, options?: CallOptions): AsyncIterable<AgentEvent> {
    return toAsyncIterable(this.invoke(request, options));
  }

  /** The turn of `invoke` as a web `ReadableStream`: the first read sends the request, `cancel()` aborts it. */
  readableStream(request: InvokeRequest, options?: CallOptions): ReadableStream<AgentEvent> {
    return toReadableStream(this.invoke(request, options));
  }

  /** Promise convenience: one streamed turn gathered into an `AgentReply`. */
  reply(request: InvokeRequest, options?: CallOptions): Promise<AgentReply> {
    return lastValueFrom(this.invoke(request, options).pipe(toReply()));
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      businessId: this.businessId,
      apiKey: '[redacted]',
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

  toString(): string {
    return `ConnectlyClient(${this.baseUrl}, business ${this.businessId})`;
  }

  // ---- the request pipeline ----

  private readonly sanitize = (text: string): string => redact(text, this.#apiKey);

  /**
   * One cold Observable per call. The body and the call options are checked now, once; a failure is
   * reported through the Observable, before any request is sent.
   */
  private observe<T, R, B extends object>(
    endpoint: Endpoint,
    build: (request: R, defaultBusinessId: string) => B,
    request: R,
    options: CallOptions | undefined,
    handle: (response: TransportResponse, call: Call, subscriber: Subscriber<T>, body: B) => Promise<void>,
  ): Observable<T> {
    let body: B;
    let settings: CallSettings;
    let payload: string;
    try {
      body = build(request, this.businessId);
      settings = resolveCallSettings(options, this.#callDefaults);
      payload = JSON.stringify(body);
    } catch (error) {
      const failure = asValidationError(error);
      return throwError(() => failure);
    }
    const signal = options?.signal;
    return new Observable<T>((subscriber) => {
      const call = new Call(endpoint, settings, this.#context);
      const controller = call.controller;
      const sessionId = (body as { sessionId?: unknown }).sessionId;
      const log = new CallLog(
        this.#logger,
        endpoint,
        this.#host,
        this.#openTelemetry,
        typeof sessionId === 'string' ? sessionId : undefined,
        VERSION,
      );
      const counted: Subscriber<T> = {
        next: (value) => {
          log.event();
          subscriber.next(value);
        },
        get closed() {
          return subscriber.closed;
        },
      };
      const onCallerAbort = (): void => controller.abort(new ConnectlyAbortError(endpoint));
      if (signal?.aborted) onCallerAbort();
      else signal?.addEventListener('abort', onCallerAbort, { once: true });
      // Set once the answer has been read to its end: nothing is left open, so nothing is aborted.
      let finished = false;
      this.send(call, payload, log)
        .then((response) => handle(response, call, counted, body))
        .then(
          () => {
            finished = true;
            log.completed();
            subscriber.complete();
          },
          (error: unknown) => {
            if (controller.signal.reason === UNSUBSCRIBED) return log.cancelled();
            const failure = call.classify(error);
            log.failed(failure);
            subscriber.error(failure);
          },
        )
        .finally(() => {
          signal?.removeEventListener('abort', onCallerAbort);
          if (!finished && !controller.signal.aborted) controller.abort(UNSUBSCRIBED); // releases anything still open
          call.end();
        });
      return () => {
        if (!finished && !controller.signal.aborted) controller.abort(UNSUBSCRIBED);
      };
    });
  }

  /** Sends the request under the retry rule; resolves with a 2xx response. */
  private send(call: Call, payload: string, log: CallLog): Promise<TransportResponse> {
    const { endpoint } = call;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      // A compressed answer cut short cannot be told from a complete one, so none is asked for.
      'accept-encoding': 'identity',
      'user-agent': this.userAgent,
    };
    log.propagate(headers);
    // After propagation, which only ever sees the trace headers; left off when the transport adds it.
    if (this.#sendApiKey) headers['x-api-key'] = this.#apiKey;
    return sendWithRetries(call, `${this.baseUrl}${API_PATH}/${endpoint}`, {
      fetch: this.#fetch,
      policy: this,
      log,
      request: { method: 'POST', headers, body: payload },
      refuse: (status, text, retryAfterMs) =>
        ConnectlyApiError.from(
          endpoint,
          status,
          readErrorBody(text, status, this.sanitize),
          this.sanitize,
          retryAfterMs,
        ),
    });
  }

  /** Reads a unary body (with `oneLine`, close's one NDJSON line) into the response its envelope holds. */
  private async readUnary(response: TransportResponse, call: Call, oneLine = false): Promise<UnaryAnswer> {
    const text = await call.readAnswer(response, this.maxLineLength);
    return parseUnary(text, call.endpoint, response.status, oneLine, this.sanitize);
  }
}
