// What a client tells a logger and OpenTelemetry about each call: the request, each retry, the answer's
// status and timings, the events, the outcome. Never the key: only endpoint names, the host, the session
// and sanitized messages.

import type { Endpoint, MessagingEndpoint } from '../wire/api.js';

/** The span of one call, as `@opentelemetry/api` makes it. */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/**
 * The parts of `@opentelemetry/api` the client uses: pass the module itself,
 * `import * as opentelemetry from '@opentelemetry/api'`. Typed here so the client needs no dependency on it.
 */
export interface OpenTelemetryApi {
  trace: {
    getTracer(
      name: string,
      version?: string,
    ): {
      startSpan(
        name: string,
        options: { kind: number; attributes: Record<string, string> },
        context: unknown,
      ): TelemetrySpan;
    };
    setSpan(context: unknown, span: TelemetrySpan): unknown;
  };
  context: { active(): unknown };
  propagation: { inject(context: unknown, carrier: Record<string, string>): void };
}

// SpanKind.CLIENT and SpanStatusCode.ERROR of @opentelemetry/api, stable since 1.0.
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

/** A pino-compatible logger (pino, or anything with `debug(fields, message)` and `warn(fields, message)`). */
export interface ConnectlyLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The log and the span of one call; without a logger or OpenTelemetry, its methods do nothing. */
export class CallLog {
  private readonly started = Date.now();
  private attempt = 1;
  private events = 0;
  private firstEventMs: number | undefined;
  private readonly span: TelemetrySpan | undefined;
  private readonly spanContext: unknown;

  constructor(
    private readonly logger: ConnectlyLogger | undefined,
    private readonly endpoint: Endpoint | MessagingEndpoint,
    private readonly host: string,
    private readonly otel: OpenTelemetryApi | undefined,
    sessionId: string | undefined,
    version: string,
  ) {
    logger?.debug({ endpoint, host }, `connectly ${endpoint}: request`);
    if (otel) {
      const parent = otel.context.active();
      const attributes: Record<string, string> = { 'connectly.endpoint': endpoint, 'server.address': host };
      if (sessionId !== undefined) attributes['connectly.session_id'] = sessionId;
      this.span = otel.trace
        .getTracer('connectly-agent-graph', version)
        .startSpan(`connectly ${endpoint}`, { kind: SPAN_KIND_CLIENT, attributes }, parent);
      this.spanContext = otel.trace.setSpan(parent, this.span);
    }
  }

  /** Adds the `traceparent` (and any other propagated) headers of this call's span. */
  propagate(headers: Record<string, string>): void {
    if (this.otel && this.span) this.otel.propagation.inject(this.spanContext, headers);
  }

  private endSpan(error?: Error): void {
    if (!this.span) return;
    this.span.setAttribute('connectly.retries', this.attempt - 1);
    this.span.setAttribute('connectly.events', this.events);
    if (this.firstEventMs !== undefined) this.span.setAttribute('connectly.time_to_first_event_ms', this.firstEventMs);
    if (error) this.span.setStatus({ code: STATUS_ERROR, message: error.message });
    this.span.end();
  }

  private elapsed(): number {
    return Date.now() - this.started;
  }

  retrying(waitMs: number, reason: string): void {
    this.logger?.debug(
      { endpoint: this.endpoint, attempt: this.attempt, waitMs, reason },
      `connectly ${this.endpoint}: retrying in ${waitMs} ms after ${reason}`,
    );
    this.attempt += 1;
  }

  answered(status: number): void {
    this.span?.setAttribute('http.response.status_code', status);
    this.logger?.debug(
      { endpoint: this.endpoint, status, attempt: this.attempt, ms: this.elapsed() },
      `connectly ${this.endpoint}: HTTP ${status}`,
    );
  }

  event(): void {
    this.events += 1;
    this.firstEventMs ??= this.elapsed();
  }

  completed(): void {
    this.endSpan();
    this.logger?.debug(
      { endpoint: this.endpoint, events: this.events, firstEventMs: this.firstEventMs, ms: this.elapsed() },
      `connectly ${this.endpoint}: done`,
    );
  }

  failed(error: Error): void {
    this.endSpan(error);
    this.logger?.warn(
      { endpoint: this.endpoint, error: error.name, events: this.events, ms: this.elapsed() },
      `connectly ${this.endpoint}: ${error.message}`,
    );
  }

  cancelled(): void {
    this.span?.setAttribute('connectly.cancelled', 'true');
    this.endSpan();
    this.logger?.debug(
      { endpoint: this.endpoint, events: this.events, ms: this.elapsed() },
      `connectly ${this.endpoint}: cancelled`,
    );
  }
}
