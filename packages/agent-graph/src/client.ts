// The client: validation, the request pipeline (timeouts, retries, cancellation) and the five endpoints.
// Every call returns a cold Observable: nothing is sent until it is subscribed, each subscription sends
// one request, and unsubscribing aborts it.

import { inspect } from 'node:util';
import { Observable, lastValueFrom } from 'rxjs';
import { AgentEventDecoder, eventsOfResponse, readEnvelope, readErrorBody } from './envelope.js';
import {
  ConnectlyAbortError,
  ConnectlyApiError,
  ConnectlyConnectionError,
  ConnectlyError,
  ConnectlyProtocolError,
  ConnectlyTimeoutError,
  ConnectlyValidationError,
  type Endpoint,
  excerpt,
  redact,
} from './errors.js';
import type { AgentEvent } from './events.js';
import { DEFAULT_MAX_LINE_LENGTH } from './line-decoder.js';
import { toReply } from './operators.js';
import type { AgentReply } from './reply.js';
import { backoffDelay, isRetryableConnectionError, isRetryableStatus, parseRetryAfter, sleep } from './retry.js';
import { type AgentSession, ConnectlySession, type SessionClient, type SessionOptions } from './session.js';
import { type SessionStore, sessionSettings } from './session-store.js';
import { SharedConversations } from './shared-session.js';
import {
  type FetchLike,
  NOT_SENT_CODES,
  type TransportResponse,
  errorCode,
  platformFetch,
  readBody,
  readText,
} from './transport.js';
import { checkInputEvents, normalizeKeys, requireString, userText } from './validate.js';
import { VERSION } from './version.js';
import type { InputEvent, RpcStatus } from './wire.js';

export const DEFAULT_BASE_URL = 'https://api.connectly.ai';
export const API_PATH = '/external/v1/ai/agent_graph';

export interface ConnectlyClientOptions {
  /** Your Connectly API key, sent as the `x-api-key` header. Never logged, never in an error. */
  apiKey: string;
  /** Your Connectly business ID; a request may override it. */
  businessId: string;
  /** Default `https://api.connectly.ai`. */
  baseUrl?: string;
  /** Longest wait for the response headers, in ms (unary calls: for the whole answer). Default 60 000; 0 disables. */
  timeoutMs?: number;
  /** Longest silence allowed while a response streams in, in ms; keep-alive lines count as activity. Default 60 000; 0 disables. */
  idleTimeoutMs?: number;
  /** How many times a request that provably was not processed is tried again. Default 2. */
  maxRetries?: number;
  /** First backoff delay in ms; each retry doubles it (with jitter). Default 500. */
  retryBaseDelayMs?: number;
  /** A `Retry-After` longer than this (ms) is not waited for: the error is raised with `retryAfterMs`. Default 30 000. */
  maxRetryDelayMs?: number;
  /** Longest NDJSON line accepted, in characters. Default 32 Mi. */
  maxLineLength?: number;
  /** Replaces the platform `fetch` (proxies, n8n's request helpers, tests). */
  fetch?: FetchLike;
  /** Sent as the `user-agent` header. */
  userAgent?: string;
  /**
   * Where `session({ clientKey })` keeps each customer's session, shared by every process using the same
   * store (MemorySessionStore for one process, RedisSessionStore for several). Without it, each session
   * object starts its own session.
   */
  sessionStore?: SessionStore;
  /** With a store: a session with no turn for this long is forgotten, in ms. Default 24 h. */
  sessionIdleMs?: number;
  /** With a store: how long a turn's lock outlives a crashed holder, in ms (renewed while held). Default 30 000. */
  sessionLeaseMs?: number;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call; the Observable then errors with ConnectlyAbortError. */
  signal?: AbortSignal;
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface InvokeRequest {
  clientKey: string;
  sessionId: string;
  /** The customer's events since the last turn. Give this or `text`. */
  inputEvents?: InputEvent[];
  /** Shorthand for one plain user text message. Give this or `inputEvents`. */
  text?: string;
  /** Selects a specific agent of the business (for Sofia AI: the agent descriptor id). */
  agentId?: string;
  /** Overrides the client's businessId for this call. */
  businessId?: string;
}

export interface InitRequest {
  clientKey: string;
  businessId?: string;
}
export interface InitResult {
  sessionId: string;
}
export interface CloseRequest {
  clientKey: string;
  sessionId: string;
  businessId?: string;
}
export interface CloseResult {
  sessionId: string;
  closed: true;
}
export interface HealthRequest {
  /** Any client key of the business; default `'health-check'`. */
  clientKey?: string;
  businessId?: string;
}
export interface HealthResult {
  healthy: boolean;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'apiKey',
  'businessId',
  'baseUrl',
  'timeoutMs',
  'idleTimeoutMs',
  'maxRetries',
  'retryBaseDelayMs',
  'maxRetryDelayMs',
  'maxLineLength',
  'fetch',
  'userAgent',
  'sessionStore',
  'sessionIdleMs',
  'sessionLeaseMs',
]);

interface Settings {
  timeoutMs: number;
  idleTimeoutMs: number;
}

interface Call {
  endpoint: Endpoint;
  controller: AbortController;
  settings: Settings;
}

// Marks an abort caused by the subscriber leaving: nothing is reported after it.
const UNSUBSCRIBED = Symbol('unsubscribed');

function checkDuration(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must be a number of milliseconds ≥ 0 (0 disables it), got ${JSON.stringify(value)}`,
    );
  }
  return value === Infinity ? 0 : value;
}

function checkBaseUrl(value: unknown, apiKey: string): string {
  if (value === undefined) return DEFAULT_BASE_URL;
  const text = requireString(value, 'baseUrl', `the API address, e.g. ${DEFAULT_BASE_URL}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectlyValidationError(
      'baseUrl',
      `\`baseUrl\` must be an http(s) URL such as ${DEFAULT_BASE_URL}, got "${excerpt(redact(text, apiKey), 60)}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectlyValidationError(
      'baseUrl',
      `\`baseUrl\` must start with http:// or https://, such as ${DEFAULT_BASE_URL}, got "${excerpt(redact(text, apiKey), 60)}"`,
    );
  }
  if (url.search || url.hash) {
    throw new ConnectlyValidationError('baseUrl', '`baseUrl` must not have a query string or a fragment');
  }
  return url.href.replace(/\/+$/, '');
}

// A TLS handshake failure (an https base URL pointing at a plain-http server, a bad certificate): the
// request never left, but trying again cannot help, so it is reported at once as a connect error.
function isTlsFailure(code: string): boolean {
  return /^(ERR_SSL|ERR_TLS|EPROTO$|CERT_|UNABLE_TO_VERIFY|DEPTH_ZERO|SELF_SIGNED)/.test(code);
}

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
  // Where errors say they were trying to reach: never the key, never userinfo of the URL.
  readonly #host: string;
  readonly #conversations: SharedConversations | undefined;

  constructor(options: ConnectlyClientOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ConnectlyValidationError('options', 'ConnectlyClient needs an options object: { apiKey, businessId }');
    }
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.has(name)) {
        throw new ConnectlyValidationError(
          name,
          `Unknown option \`${name}\`: ConnectlyClient takes ${[...OPTION_NAMES].join(', ')}`,
        );
      }
    }
    this.#apiKey = requireString(options.apiKey, 'apiKey', 'your Connectly API key, sent as the x-api-key header');
    this.businessId = requireString(options.businessId, 'businessId', 'your Connectly business ID');
    this.baseUrl = checkBaseUrl(options.baseUrl, this.#apiKey);
    this.#host = new URL(this.baseUrl).host;
    this.timeoutMs = checkDuration(options.timeoutMs, 'timeoutMs', 60_000);
    this.idleTimeoutMs = checkDuration(options.idleTimeoutMs, 'idleTimeoutMs', 60_000);
    this.retryBaseDelayMs = checkDuration(options.retryBaseDelayMs, 'retryBaseDelayMs', 500);
    this.maxRetryDelayMs = checkDuration(options.maxRetryDelayMs, 'maxRetryDelayMs', 30_000);
    const retries = options.maxRetries ?? 2;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
      throw new ConnectlyValidationError(
        'maxRetries',
        `\`maxRetries\` must be a whole number from 0 to 10, got ${JSON.stringify(retries)}`,
      );
    }
    this.maxRetries = retries;
    const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (typeof maxLine !== 'number' || !(maxLine > 0)) {
      throw new ConnectlyValidationError(
        'maxLineLength',
        `\`maxLineLength\` must be a positive number of characters, got ${JSON.stringify(maxLine)}`,
      );
    }
    this.maxLineLength = maxLine;
    if (options.fetch !== undefined && typeof options.fetch !== 'function') {
      throw new ConnectlyValidationError('fetch', '`fetch` must be a fetch-compatible function');
    }
    this.#fetch = options.fetch ?? platformFetch;
    this.userAgent =
      options.userAgent === undefined
        ? `connectly-agent-graph/${VERSION} node/${process.versions.node}`
        : requireString(options.userAgent, 'userAgent');
    const sessions = sessionSettings(options);
    this.#conversations = sessions && new SharedConversations(sessions, this.businessId);
  }

  /**
   * Sends the customer's events and streams the agent's reply: one typed event per element of
   * `responseEvents`, emitted as soon as its line arrives. Cold: one request per subscription.
   */
  invoke(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    const body = this.invokeBody(request);
    const sessionId = body.sessionId as string;
    return this.observe<AgentEvent>('invoke', body, options, async (response, call, subscriber) => {
      let apiError: RpcStatus | undefined;
      const decoder = new AgentEventDecoder(
        {
          event: (event) => subscriber.next(event),
          error: (status) => (apiError = status),
        },
        { maxLineLength: this.maxLineLength, sanitize: this.sanitize, sessionId },
      );
      await this.consume(response, call, (chunk) => {
        decoder.write(chunk);
        return apiError === undefined && !subscriber.closed;
      });
      if (apiError) throw this.apiError('invoke', 200, apiError);
      decoder.end();
      if (apiError) throw this.apiError('invoke', 200, apiError);
    });
  }

  /** The same turn as `invoke`, answered in one piece: the events are emitted together once the whole reply is ready. */
  invokeSync(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    const body = this.invokeBody(request);
    return this.observe<AgentEvent>('invoke_sync', body, options, async (response, call, subscriber) => {
      const value = await this.readJson(response, call);
      const envelope = readEnvelope(value);
      if (envelope.kind === 'error') throw this.apiError('invoke_sync', response.status, envelope.error);
      if (envelope.kind === 'unexpected') throw this.shapeError('invoke_sync', envelope.why, value);
      const reply = { ...envelope.response, sessionId: envelope.response.sessionId ?? (body.sessionId as string) };
      for (const event of eventsOfResponse(reply, this.sanitize)) {
        if (subscriber.closed) return;
        subscriber.next(event);
      }
    });
  }

  /** Starts a conversation for one customer; emits `{ sessionId }`. */
  init(request: InitRequest, options?: CallOptions): Observable<InitResult> {
    const body = this.baseBody(request, 'init');
    return this.observe<InitResult>('init', body, options, async (response, call, subscriber) => {
      const value = await this.readJson(response, call);
      const envelope = readEnvelope(value);
      if (envelope.kind === 'error') throw this.apiError('init', response.status, envelope.error);
      const sessionId = envelope.kind === 'response' ? (envelope.response.sessionId as unknown) : undefined;
      if (typeof sessionId !== 'string' || sessionId.length === 0) {
        throw this.shapeError('init', 'the answer has no "response.sessionId"', value);
      }
      subscriber.next({ sessionId });
    });
  }

  /** Ends a session; its sessionId cannot be used afterwards. */
  close(request: CloseRequest, options?: CallOptions): Observable<CloseResult> {
    const body = this.baseBody(request, 'close');
    const input = normalizeKeys(request) as Record<string, unknown>;
    body.sessionId = requireString(input['sessionId'], 'sessionId', 'the sessionId init() returned');
    return this.observe<CloseResult>('close', body, options, async (response, call, subscriber) => {
      // close answers like a stream: one `{"result":{"response":{}}}` line, sometimes with `"error": null`.
      const value = await this.readJson(response, call, true);
      const envelope = readEnvelope(value);
      if (envelope.kind === 'error') throw this.apiError('close', response.status, envelope.error);
      if (envelope.kind === 'unexpected') throw this.shapeError('close', envelope.why, value);
      subscriber.next({ sessionId: body.sessionId as string, closed: true });
    });
  }

  /** Asks whether the API is up. A missing or false `healthy` means unhealthy. */
  health(request: HealthRequest = {}, options?: CallOptions): Observable<HealthResult> {
    const body = this.baseBody({ clientKey: 'health-check', ...request }, 'health');
    return this.observe<HealthResult>('health', body, options, async (response, call, subscriber) => {
      const value = await this.readJson(response, call);
      const envelope = readEnvelope(value);
      if (envelope.kind === 'error') throw this.apiError('health', response.status, envelope.error);
      const healthy = (value as { response?: { healthy?: unknown } } | null)?.response?.healthy === true;
      subscriber.next({ healthy });
    });
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

  [inspect.custom](): string {
    return `ConnectlyClient ${inspect(this.toJSON())}`;
  }

  toString(): string {
    return `ConnectlyClient(${this.baseUrl}, business ${this.businessId})`;
  }

  // ---- request building ----

  private readonly sanitize = (text: string): string => redact(text, this.#apiKey);

  private baseBody(request: object, endpoint: Endpoint): Record<string, unknown> {
    if (typeof request !== 'object' || request === null) {
      throw new ConnectlyValidationError(
        'request',
        `${endpoint}() needs a request object such as { clientKey: 'customer-123' }`,
      );
    }
    const input = normalizeKeys(request) as Record<string, unknown>;
    const businessId =
      input['businessId'] === undefined ? this.businessId : requireString(input['businessId'], 'businessId');
    return {
      businessId,
      clientKey: requireString(
        input['clientKey'],
        'clientKey',
        "the customer's id in your system (customer id, phone number…), the same for every call of a conversation",
      ),
    };
  }

  private invokeBody(request: InvokeRequest): Record<string, unknown> {
    const body = this.baseBody(request, 'invoke');
    const input = normalizeKeys(request) as Record<string, unknown>;
    body.sessionId = requireString(
      input['sessionId'],
      'sessionId',
      'call init() first and pass the sessionId it returns',
    );
    if (input['agentId'] !== undefined) body.agentId = requireString(input['agentId'], 'agentId');
    const hasText = input['text'] !== undefined;
    if (hasText && input['inputEvents'] !== undefined) {
      throw new ConnectlyValidationError(
        'text',
        'Give either `text` or `inputEvents`, not both: add the text to inputEvents with userText()',
      );
    }
    body.inputEvents = hasText
      ? [userText(requireString(input['text'], 'text', "the customer's message"))]
      : checkInputEvents(input['inputEvents']);
    return body;
  }

  // ---- the request pipeline ----

  private observe<T>(
    endpoint: Endpoint,
    body: Record<string, unknown>,
    options: CallOptions | undefined,
    handle: (
      response: TransportResponse,
      call: Call,
      subscriber: { next(value: T): void; readonly closed: boolean },
    ) => Promise<void>,
  ): Observable<T> {
    const settings = this.callSettings(options);
    const payload = JSON.stringify(body);
    const signal = options?.signal;
    return new Observable<T>((subscriber) => {
      const controller = new AbortController();
      const call: Call = { endpoint, controller, settings };
      const onCallerAbort = (): void => controller.abort(new ConnectlyAbortError(endpoint));
      if (signal?.aborted) onCallerAbort();
      else signal?.addEventListener('abort', onCallerAbort, { once: true });
      this.send(call, payload)
        .then((response) => handle(response, call, subscriber))
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

  private callSettings(options: CallOptions | undefined): Settings {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new ConnectlyValidationError(
        'options',
        'Call options must be an object: { signal?, timeoutMs?, idleTimeoutMs? }',
      );
    }
    if (options?.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new ConnectlyValidationError('signal', '`signal` must be an AbortSignal');
    }
    return {
      timeoutMs: checkDuration(options?.timeoutMs, 'timeoutMs', this.timeoutMs),
      idleTimeoutMs: checkDuration(options?.idleTimeoutMs, 'idleTimeoutMs', this.idleTimeoutMs),
    };
  }

  /** Sends the request, retrying only what is safe to retry; resolves with a 2xx response. */
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
      const timer = this.startTimer(call, settings.timeoutMs, 'headers');
      let response: TransportResponse;
      try {
        response = await this.#fetch(url, { method: 'POST', headers, body: payload, signal });
      } catch (error) {
        clearTimeout(timer);
        if (signal.aborted) throw signal.reason;
        const code = errorCode(error);
        if (attempt < this.maxRetries && isRetryableConnectionError(endpoint, code)) {
          await sleep(backoffDelay(attempt, this.retryBaseDelayMs, 8_000), signal);
          continue;
        }
        throw this.connectionError(
          endpoint,
          error,
          code && (NOT_SENT_CODES.has(code) || isTlsFailure(code)) ? 'connect' : 'response',
        );
      }
      if (response.status >= 200 && response.status < 300) {
        clearTimeout(timer);
        return response;
      }
      let text = '';
      try {
        text = await readText(response.body, signal, 64 * 1024);
      } catch {
        if (signal.aborted) throw signal.reason; // otherwise the status alone tells the story
      } finally {
        clearTimeout(timer);
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const error = this.apiError(endpoint, response.status, readErrorBody(text, response.status), retryAfterMs);
      if (
        attempt < this.maxRetries &&
        isRetryableStatus(endpoint, response.status) &&
        (retryAfterMs === undefined || retryAfterMs <= this.maxRetryDelayMs)
      ) {
        await sleep(retryAfterMs ?? backoffDelay(attempt, this.retryBaseDelayMs, 8_000), signal);
        continue;
      }
      throw error;
    }
  }

  private startTimer(call: Call, ms: number, phase: 'headers' | 'idle'): ReturnType<typeof setTimeout> | undefined {
    if (ms <= 0) return undefined;
    const timer = setTimeout(() => call.controller.abort(new ConnectlyTimeoutError(call.endpoint, phase, ms)), ms);
    timer.unref?.();
    return timer;
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
    const idle = call.settings.idleTimeoutMs;
    let last = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = (): void => {
      const silent = Date.now() - last;
      if (silent >= idle) call.controller.abort(new ConnectlyTimeoutError(call.endpoint, 'idle', idle));
      else arm(idle - silent);
    };
    const arm = (delay: number): void => {
      timer = setTimeout(check, delay);
      timer.unref?.();
    };
    if (idle > 0) arm(idle);
    try {
      await readBody(
        response.body,
        (chunk) => {
          last = Date.now();
          return onChunk(chunk);
        },
        call.controller.signal,
      );
      if (call.controller.signal.aborted) throw call.controller.signal.reason;
    } catch (error) {
      if (call.controller.signal.aborted) throw call.controller.signal.reason;
      if (error instanceof ConnectlyError) throw error;
      throw this.connectionError(call.endpoint, error, 'response');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads a unary body (or close's one NDJSON line) and parses it as JSON. */
  private async readJson(response: TransportResponse, call: Call, firstLine = false): Promise<unknown> {
    const decoder = new TextDecoder();
    const parts: string[] = [];
    let length = 0;
    await this.consume(response, call, (chunk) => {
      const text = decoder.decode(chunk, { stream: true });
      parts.push(text);
      length += text.length;
      if (length > this.maxLineLength) {
        throw new ConnectlyProtocolError({
          reason: 'line-too-long',
          message: `The ${call.endpoint} response is longer than maxLineLength (${this.maxLineLength} characters)`,
        });
      }
      return true;
    });
    parts.push(decoder.decode());
    let text = parts.join('').trim();
    if (firstLine)
      text =
        text
          .split('\n')
          .find((line) => line.trim().length > 0)
          ?.trim() ?? '';
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ConnectlyProtocolError({
        reason: 'malformed-body',
        preview: this.sanitize(excerpt(text)),
        message: `The ${call.endpoint} response is not JSON: "${this.sanitize(excerpt(text, 80)) || '(empty body)'}"`,
      });
    }
  }

  // ---- errors ----

  private classify(call: Call, error: unknown): ConnectlyError {
    if (error instanceof ConnectlyError) return error;
    return this.connectionError(call.endpoint, error, 'response');
  }

  private apiError(endpoint: Endpoint, status: number, rpc: RpcStatus, retryAfterMs?: number): ConnectlyApiError {
    let details = rpc.details;
    if (details && JSON.stringify(details).includes(this.#apiKey)) {
      details = JSON.parse(this.sanitize(JSON.stringify(details))) as RpcStatus['details'];
    }
    return new ConnectlyApiError({
      endpoint,
      status,
      code: rpc.code,
      message: rpc.message === undefined ? undefined : this.sanitize(rpc.message),
      details,
      retryAfterMs,
    });
  }

  private shapeError(endpoint: Endpoint, why: string, value: unknown): ConnectlyProtocolError {
    const shown = this.sanitize(excerpt(JSON.stringify(value) ?? String(value), 80));
    return new ConnectlyProtocolError({
      reason: 'unexpected-shape',
      preview: shown,
      message: `The ${endpoint} response is not in the Agent Graph format: ${why} ("${shown}")`,
    });
  }

  private connectionError(endpoint: Endpoint, error: unknown, phase: 'connect' | 'response'): ConnectlyConnectionError {
    const code = errorCode(error);
    const reason = this.sanitize(code ?? (error instanceof Error ? error.message || error.name : String(error)));
    const message =
      phase === 'connect'
        ? `Could not reach Connectly at ${this.#host} for ${endpoint} (${reason}): check the baseUrl option and your network`
        : `The connection to Connectly at ${this.#host} broke during ${endpoint} (${reason}): the answer is incomplete`;
    return new ConnectlyConnectionError({ phase, message, errorCode: code, cause: error });
  }
}
