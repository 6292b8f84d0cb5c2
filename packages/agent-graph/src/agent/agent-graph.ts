// The Agent Graph API as a resource on the request pipeline: its five endpoints, each a cold Observable.
// Here each request body is built and checked, and each answer read (the NDJSON stream of invoke, the
// unary bodies of the others); the pipeline does the sending. Every failure, bad input included, arrives
// through the Observable.

import { Observable, throwError } from 'rxjs';
import { ConnectlyApiError, ConnectlyProtocolError } from '../errors/errors.js';
import type { Call } from '../http/call.js';
import { type CallDefaults, type CallOptions, type CallSettings, resolveCallSettings } from '../http/options.js';
import type { Emitter, Pipeline } from '../http/pipeline.js';
import type { TransportResponse } from '../http/transport.js';
import { API_PATH, type Endpoint, type MessagingEndpoint, type RpcStatus } from '../wire/api.js';
import {
  AgentEventDecoder,
  type UnaryAnswer,
  eventsOfResponse,
  parseUnary,
  readErrorBody,
} from '../decoding/envelope.js';
import type { AgentEvent } from '../wire/events.js';
import { asValidationError } from '../decoding/validate.js';
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

type Reader<T, B> = (
  response: TransportResponse,
  call: Call<Endpoint | MessagingEndpoint>,
  emit: Emitter<T>,
  body: B,
) => Promise<void>;

export class AgentGraph {
  constructor(
    private readonly pipeline: Pipeline,
    private readonly callDefaults: CallDefaults,
    private readonly maxLineLength: number,
  ) {}

  /** Sends the customer's events and streams the agent's reply, one typed event per line as it arrives. */
  invoke(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.observe('invoke', invokeBody, request, options, async (response, call, emit, body) => {
      const sanitize = this.pipeline.sanitize;
      let apiError: RpcStatus | undefined;
      const decoder = new AgentEventDecoder(
        {
          event: (event) => emit.next(event),
          error: (status) => (apiError = status),
        },
        { maxLineLength: this.maxLineLength, sanitize, sessionId: body.sessionId },
      );
      await call.consume(response, (chunk) => {
        decoder.write(chunk);
        return apiError === undefined && !emit.closed;
      });
      if (apiError === undefined) decoder.end();
      if (apiError !== undefined) throw ConnectlyApiError.from('invoke', 200, apiError, sanitize);
    });
  }

  /** The same turn answered in one piece: the events are emitted together once the whole reply is ready. */
  invokeSync(request: InvokeRequest, options?: CallOptions): Observable<AgentEvent> {
    return this.observe('invoke_sync', invokeBody, request, options, async (response, call, emit, body) => {
      const { response: reply } = await this.readUnary(response, call);
      const sessionId = reply.sessionId ?? body.sessionId;
      for (const event of eventsOfResponse({ ...reply, sessionId }, this.pipeline.sanitize)) {
        if (emit.closed) return;
        emit.next(event);
      }
    });
  }

  /** Starts a conversation for one customer; emits `{ sessionId }`. */
  init(request: InitRequest, options?: CallOptions): Observable<InitResult> {
    return this.observe('init', initBody, request, options, async (response, call, emit) => {
      const { value, response: answer } = await this.readUnary(response, call);
      const sessionId = answer.sessionId as unknown;
      if (typeof sessionId !== 'string' || sessionId.length === 0) {
        const why = 'the answer has no "response.sessionId"';
        throw ConnectlyProtocolError.unexpectedShape('init', why, value, this.pipeline.sanitize);
      }
      emit.next({ sessionId });
    });
  }

  /** Ends a session; its sessionId cannot be used afterwards. */
  close(request: CloseRequest, options?: CallOptions): Observable<CloseResult> {
    return this.observe('close', closeBody, request, options, async (response, call, emit, body) => {
      // close answers like a stream: one `{"result":{"response":{}}}` line, sometimes with `"error": null`.
      await this.readUnary(response, call, true);
      emit.next({ sessionId: body.sessionId, closed: true });
    });
  }

  /** Asks whether the API is up. A missing or false `healthy` means unhealthy. */
  health(request: HealthRequest = {}, options?: CallOptions): Observable<HealthResult> {
    return this.observe('health', healthBody, request, options, async (response, call, emit) => {
      const { response: answer } = await this.readUnary(response, call);
      emit.next({ healthy: answer['healthy'] === true });
    });
  }

  /**
   * One call on the pipeline. The body and the call options are checked now, once; a failure is
   * reported through the Observable, before any request is sent.
   */
  private observe<T, R, B extends object>(
    endpoint: Endpoint,
    build: (request: R, defaultBusinessId: string) => B,
    request: R,
    options: CallOptions | undefined,
    read: Reader<T, B>,
  ): Observable<T> {
    let body: B;
    let settings: CallSettings;
    let payload: string;
    try {
      body = build(request, this.pipeline.businessId);
      settings = resolveCallSettings(options, this.callDefaults);
      payload = JSON.stringify(body);
    } catch (error) {
      const failure = asValidationError(error);
      return throwError(() => failure);
    }
    const sessionId = (body as { sessionId?: unknown }).sessionId;
    const sanitize = this.pipeline.sanitize;
    return this.pipeline.observe<T>({
      endpoint,
      method: 'POST',
      path: `${API_PATH}/${endpoint}`,
      body: payload,
      settings,
      signal: options?.signal,
      sessionId: typeof sessionId === 'string' ? sessionId : undefined,
      // Every value an agent call emits counts as an event on its span, the one answer of init or health too.
      events: true,
      refuse: (status, text, retryAfterMs) =>
        ConnectlyApiError.from(endpoint, status, readErrorBody(text, status, sanitize), sanitize, retryAfterMs),
      read: (response, call, emit) => read(response, call, emit, body),
    });
  }

  /** Reads a unary body (with `oneLine`, close's one NDJSON line) into the response its envelope holds. */
  private async readUnary(
    response: TransportResponse,
    call: Call<Endpoint | MessagingEndpoint>,
    oneLine = false,
  ): Promise<UnaryAnswer> {
    const text = await call.readAnswer(response, this.maxLineLength);
    return parseUnary(text, call.endpoint as Endpoint, response.status, oneLine, this.pipeline.sanitize);
  }
}
