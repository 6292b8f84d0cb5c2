// The one request pipeline: every call of every Connectly client (the agent's endpoints, the Message and
// Webhook APIs) goes through it. It opens the call (its AbortController and time limits, its log and
// span), ties it to the caller's AbortSignal and to unsubscription, sends it with the headers under the
// retry rule, and hands the 2xx answer to the endpoint's reader. One cold Observable per call: nothing is
// sent until it is subscribed, and unsubscribing aborts the request.

import { Observable } from 'rxjs';
import { ConnectlyAbortError, type ConnectlyError } from '../errors/errors.js';
import { VERSION } from '../version.js';
import type { Endpoint, MessagingEndpoint } from '../wire/api.js';
import { sendWithRetries } from './attempts.js';
import { Call, type CallContext } from './call.js';
import { CallLog, type ConnectlyLogger, type OpenTelemetryApi } from './call-log.js';
import type { CallDefaults, ResolvedHttpOptions, CallSettings } from './options.js';
import type { Scheduler } from './platform.js';
import { redact } from '../errors/redaction.js';
import type { RetryPolicy } from './retry.js';
import type { FetchLike, TransportRequest, TransportResponse } from './transport.js';

/** Where a reader emits what an answer holds. */
export interface Emitter<T> {
  next(value: T): void;
  readonly closed: boolean;
}

/** One call, as an endpoint describes it to the pipeline. */
export interface PipelineRequest<T> {
  endpoint: Endpoint | MessagingEndpoint;
  method: TransportRequest['method'];
  /** The URL after the base URL, starting with `/`. */
  path: string;
  /** The JSON body, when the request has one. */
  body?: string | undefined;
  settings: CallSettings;
  signal?: AbortSignal | undefined;
  /** The session the call belongs to, for its log and span. */
  sessionId?: string | undefined;
  /** True when each emitted value is an agent event: they are counted on the log and the span. */
  events?: boolean;
  /** The error for a non-2xx answer that is not tried again, from its status and body. */
  refuse(status: number, text: string, retryAfterMs: number | undefined): ConnectlyError;
  /** Reads the 2xx answer under the call's limits and emits what it holds. */
  read(response: TransportResponse, call: Call<Endpoint | MessagingEndpoint>, emit: Emitter<T>): Promise<void>;
}

// Marks an abort caused by the subscriber leaving: nothing is reported after it.
const UNSUBSCRIBED = Symbol('unsubscribed');

export class Pipeline implements RetryPolicy {
  readonly baseUrl: string;
  readonly businessId: string;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly userAgent: string;
  readonly scheduler: Scheduler;
  /** The longest time limit the fetch in use can honour. */
  readonly fetchLimitMs: number;
  // Where errors say they were trying to reach: never the key, never userinfo of the URL.
  readonly host: string;
  readonly context: CallContext;
  readonly #apiKey: string;
  readonly #sendApiKey: boolean;
  readonly #fetch: FetchLike;
  readonly #logger: ConnectlyLogger | undefined;
  readonly #openTelemetry: OpenTelemetryApi | undefined;

  constructor(resolved: ResolvedHttpOptions) {
    this.#apiKey = resolved.apiKey;
    this.#sendApiKey = resolved.sendApiKey;
    this.#fetch = resolved.fetch;
    this.#logger = resolved.logger;
    this.#openTelemetry = resolved.openTelemetry;
    this.baseUrl = resolved.baseUrl;
    this.businessId = resolved.businessId;
    this.maxRetries = resolved.maxRetries;
    this.retryBaseDelayMs = resolved.retryBaseDelayMs;
    this.maxRetryDelayMs = resolved.maxRetryDelayMs;
    this.userAgent = resolved.userAgent;
    this.scheduler = resolved.scheduler;
    this.fetchLimitMs = resolved.fetchLimitMs;
    this.host = new URL(this.baseUrl).host;
    this.context = { scheduler: this.scheduler, host: this.host, sanitize: this.sanitize };
  }

  /** Server text as errors may carry it: without the API key. */
  readonly sanitize = (text: string): string => redact(text, this.#apiKey);

  /** What a call's limits default to: the client's `timeoutMs` and `idleTimeoutMs`, within what fetch allows. */
  callDefaults(timeoutMs: number, idleTimeoutMs: number): CallDefaults {
    return { timeoutMs, idleTimeoutMs, fetchLimitMs: this.fetchLimitMs };
  }

  /** The call as a cold Observable: one request per subscription; the caller's signal or unsubscribing aborts it. */
  observe<T>(request: PipelineRequest<T>): Observable<T> {
    const { endpoint, signal } = request;
    return new Observable<T>((subscriber) => {
      const call = new Call(endpoint, request.settings, this.context);
      const controller = call.controller;
      const log = new CallLog(this.#logger, endpoint, this.host, this.#openTelemetry, request.sessionId, VERSION);
      const emit: Emitter<T> = {
        next: (value) => {
          if (request.events) log.event();
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
      this.send(call, request, log)
        .then((response) => request.read(response, call, emit))
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
  private send<T>(call: Call<Endpoint | MessagingEndpoint>, request: PipelineRequest<T>, log: CallLog) {
    const headers: Record<string, string> = {
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      accept: 'application/json',
      // A compressed answer cut short cannot be told from a complete one, so none is asked for.
      'accept-encoding': 'identity',
      'user-agent': this.userAgent,
    };
    log.propagate(headers);
    // After propagation, which only ever sees the trace headers; left off when the transport adds it.
    if (this.#sendApiKey) headers['x-api-key'] = this.#apiKey;
    const body = request.body === undefined ? {} : { body: request.body };
    return sendWithRetries(call, `${this.baseUrl}${request.path}`, {
      fetch: this.#fetch,
      policy: this,
      log,
      request: { method: request.method, headers, ...body },
      refuse: request.refuse,
    });
  }
}
