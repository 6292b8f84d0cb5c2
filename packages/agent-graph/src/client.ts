// The client: the request pipeline (timeouts, retries, cancellation) and the five endpoints.
// Every call returns a cold Observable: nothing is sent until it is subscribed, each subscription sends
// one request, and unsubscribing aborts it. Every failure, bad input included, arrives through it.

import { Observable, lastValueFrom, throwError } from 'rxjs';
import { AgentEventDecoder, type UnaryAnswer, eventsOfResponse, parseUnary, readErrorBody } from './envelope.js';
import {
  ConnectlyAbortError,
  ConnectlyApiError,
  ConnectlyConnectionError,
  ConnectlyError,
  ConnectlyProtocolError,
  ConnectlyTimeoutError,
  errorCode,
  redact,
} from './errors.js';
import type { AgentEvent } from './events.js';
import { toReply } from './operators.js';
import {
  type CallOptions,
  type CallSettings,
  type ConnectlyClientOptions,
  resolveCallSettings,
  resolveOptions,
} from './options.js';
import { type Scheduler, inspectCustom, sleep } from './platform.js';
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
import { failurePhase, parseRetryAfter, retryDelay } from './retry.js';
import { ConnectlySession, type SessionOptions } from './session.js';
import { IdleLimit, deadline } from './timers.js';
import { type FetchLike, TextCollector, type TransportResponse, readBody, readText } from './transport.js';
import { API_PATH, type Endpoint, type RpcStatus } from './wire.js';

interface Call {
  endpoint: Endpoint;
  controller: AbortController;
  settings: CallSettings;
}

interface Subscriber<T> {
  next(value: T): void;
  readonly closed: boolean;
}

// Marks an abort caused by the subscriber leaving: nothing is reported after it.
const UNSUBSCRIBED = Symbol('unsubscribed');

// The most of a non-2xx body that is read for its error message.
const ERROR_BODY_LIMIT = 64 * 1024;

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
  readonly #fetch: FetchLike;
  readonly #scheduler: Scheduler;
  // Where errors say they were trying to reach: never the key, never userinfo of the URL.
  readonly #host: string;

  constructor(options: ConnectlyClientOptions) {
    const resolved = resolveOptions(options);
    this.#apiKey = resolved.apiKey;
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
        await this.consume(response, call, (chunk) => {
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

  /** A conversation with one customer: init on first use, send turns, close at the end. */
  session(options: SessionOptions): ConnectlySession {
    return new ConnectlySession(this, options);
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
    try {
      body = build(request, this.businessId);
      settings = resolveCallSettings(options, this);
    } catch (error) {
      return throwError(() => error);
    }
    const payload = JSON.stringify(body);
    const signal = options?.signal;
    return new Observable<T>((subscriber) => {
      const controller = new AbortController();
      const call: Call = { endpoint, controller, settings };
      const onCallerAbort = (): void => controller.abort(new ConnectlyAbortError(endpoint));
      if (signal?.aborted) onCallerAbort();
      else signal?.addEventListener('abort', onCallerAbort, { once: true });
      this.send(call, payload)
        .then((response) => handle(response, call, subscriber, body))
        .then(
          () => subscriber.complete(),
          (error: unknown) => {
            if (controller.signal.reason === UNSUBSCRIBED) return;
            subscriber.error(this.classify(call, error));
          },
        )
        .finally(() => {
          signal?.removeEventListener('abort', onCallerAbort);
          if (!controller.signal.aborted) controller.abort(UNSUBSCRIBED); // releases anything still open
        });
      return () => {
        if (!controller.signal.aborted) controller.abort(UNSUBSCRIBED);
      };
    });
  }

  /** Sends the request, retrying only what `retryDelay` allows; resolves with a 2xx response. */
  private async send(call: Call, payload: string): Promise<TransportResponse> {
    const { endpoint, controller, settings } = call;
    const signal = controller.signal;
    const url = `${this.baseUrl}${API_PATH}/${endpoint}`;
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': this.userAgent,
      'x-api-key': this.#apiKey,
    };
    for (let attempt = 0; ; attempt += 1) {
      const timer = deadline(this.#scheduler, settings.timeoutMs, () => this.timeout(call, 'headers'));
      let response: TransportResponse;
      try {
        response = await this.#fetch(url, { method: 'POST', headers, body: payload, signal });
      } catch (error) {
        timer.stop();
        if (signal.aborted) throw signal.reason;
        const code = errorCode(error);
        const wait = retryDelay(endpoint, attempt, { kind: 'connection', errorCode: code }, this);
        if (wait !== undefined) {
          await sleep(wait, signal, this.#scheduler);
          continue;
        }
        throw ConnectlyConnectionError.from(endpoint, error, failurePhase(code), this.#host, this.sanitize);
      }
      if (response.status >= 200 && response.status < 300) {
        timer.stop();
        return response;
      }
      let text = '';
      try {
        text = await readText(response.body, signal, ERROR_BODY_LIMIT);
      } catch {
        if (signal.aborted) throw signal.reason; // otherwise the status alone tells the story
      } finally {
        timer.stop();
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const failure = { kind: 'status', status: response.status, retryAfterMs } as const;
      const wait = retryDelay(endpoint, attempt, failure, this);
      if (wait !== undefined) {
        await sleep(wait, signal, this.#scheduler);
        continue;
      }
      const rpc = readErrorBody(text, response.status);
      throw ConnectlyApiError.from(endpoint, response.status, rpc, this.sanitize, retryAfterMs);
    }
  }

  private timeout(call: Call, phase: 'headers' | 'idle'): void {
    const ms = phase === 'headers' ? call.settings.timeoutMs : call.settings.idleTimeoutMs;
    call.controller.abort(new ConnectlyTimeoutError(call.endpoint, phase, ms));
  }

  /**
   * Reads a 2xx body chunk by chunk under the idle timeout (any bytes, keep-alive lines included,
   * count as activity). `onChunk` returns false to stop reading.
   */
  private async consume(
    response: TransportResponse,
    call: Call,
    onChunk: (chunk: Uint8Array) => boolean,
  ): Promise<void> {
    const idle = new IdleLimit(this.#scheduler, call.settings.idleTimeoutMs, () => this.timeout(call, 'idle'));
    try {
      await readBody(
        response.body,
        (chunk) => {
          idle.touch();
          return onChunk(chunk);
        },
        call.controller.signal,
      );
      if (call.controller.signal.aborted) throw call.controller.signal.reason;
    } catch (error) {
      if (call.controller.signal.aborted) throw call.controller.signal.reason;
      throw this.classify(call, error);
    } finally {
      idle.stop();
    }
  }

  /** Reads a unary body (with `oneLine`, close's one NDJSON line) into the response its envelope holds. */
  private async readUnary(response: TransportResponse, call: Call, oneLine = false): Promise<UnaryAnswer> {
    const body = new TextCollector();
    await this.consume(response, call, (chunk) => {
      body.add(chunk);
      if (body.length <= this.maxLineLength) return true;
      throw new ConnectlyProtocolError({
        reason: 'line-too-long',
        message: `The ${call.endpoint} response is longer than maxLineLength (${this.maxLineLength} characters)`,
      });
    });
    return parseUnary(body.text(), call.endpoint, response.status, oneLine, this.sanitize);
  }

  private classify(call: Call, error: unknown): ConnectlyError {
    if (error instanceof ConnectlyError) return error;
    return ConnectlyConnectionError.from(call.endpoint, error, 'response', this.#host, this.sanitize);
  }
}
