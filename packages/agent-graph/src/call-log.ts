// What the client tells a logger about each call: the request, each retry, the answer's status and
// timings, the events, the outcome. Never the key: only endpoint names, the host and sanitized messages.

import type { Endpoint } from './wire.js';

/** A pino-compatible logger (pino, or anything with `debug(fields, message)` and `warn(fields, message)`). */
export interface ConnectlyLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The log of one call; every method is a no-op without a logger. */
export class CallLog {
  private readonly started = Date.now();
  private attempt = 1;
  private events = 0;
  private firstEventMs: number | undefined;

  constructor(
    private readonly logger: ConnectlyLogger | undefined,
    private readonly endpoint: Endpoint,
    private readonly host: string,
  ) {
    logger?.debug({ endpoint, host }, `connectly ${endpoint}: request`);
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
    this.logger?.debug(
      { endpoint: this.endpoint, events: this.events, firstEventMs: this.firstEventMs, ms: this.elapsed() },
      `connectly ${this.endpoint}: done`,
    );
  }

  failed(error: Error): void {
    this.logger?.warn(
      { endpoint: this.endpoint, error: error.name, events: this.events, ms: this.elapsed() },
      `connectly ${this.endpoint}: ${error.message}`,
    );
  }

  cancelled(): void {
    this.logger?.debug(
      { endpoint: this.endpoint, events: this.events, ms: this.elapsed() },
      `connectly ${this.endpoint}: cancelled`,
    );
  }
}
