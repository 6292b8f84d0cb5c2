// One request in flight: its endpoint, its AbortController and time limits, and the reading of an
// answer's body under them. What the client's pipeline hands from one attempt to the next.

import {
  ConnectlyConnectionError,
  ConnectlyError,
  ConnectlyProtocolError,
  ConnectlyTimeoutError,
} from '../errors/errors.js';
import type { CallSettings } from './options.js';
import type { Sanitize } from '../errors/redaction.js';
import { type Scheduler, holdProcess } from './platform.js';
import { IdleLimit, type Limit, deadline } from './timers.js';
import { TextCollector, type TransportResponse, readBody } from './transport.js';
import type { Endpoint, MessagingEndpoint } from '../wire/api.js';

// The most of a non-2xx body that is read for its error message.
const ERROR_BODY_LIMIT = 64 * 1024;

/** Where errors say the call was going, and how server text is cleaned before it reaches one. */
export interface CallContext {
  scheduler: Scheduler;
  host: string;
  sanitize: Sanitize;
}

export class Call<E extends Endpoint | MessagingEndpoint = Endpoint> {
  readonly controller = new AbortController();
  // A unary call's `timeoutMs`, still running while its body is read.
  private answerLimit: Limit | undefined;
  // The process is held from the call's start until it ends: read to its end, failed or cancelled.
  private readonly release = holdProcess();

  constructor(
    readonly endpoint: E,
    readonly settings: CallSettings,
    readonly context: CallContext,
  ) {
    this.controller.signal.addEventListener('abort', this.release, { once: true });
  }

  /** The call is over (an answer read to its end is not aborted): the process is no longer held for it. */
  end(): void {
    this.release();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts `timeoutMs` for one attempt: it aborts the call with a ConnectlyTimeoutError when it fires. */
  startDeadline(): Limit {
    return deadline(this.context.scheduler, this.settings.timeoutMs, () => this.timeout('headers'));
  }

  /** Keeps `limit` running until the answer's body has been read (unary calls). */
  holdUntilRead(limit: Limit): void {
    this.answerLimit = limit;
  }

  /** Any failure as a ConnectlyError: what is not one already is the connection breaking mid-answer. */
  classify(error: unknown): ConnectlyError {
    if (error instanceof ConnectlyError) return error;
    const { host, sanitize } = this.context;
    return ConnectlyConnectionError.from(this.endpoint, error, 'response', host, sanitize);
  }

  /**
   * Reads a body chunk by chunk under the idle timeout (any bytes, keep-alive lines included, count
   * as activity). `onChunk` returns false to stop reading.
   */
  async consume(response: TransportResponse, onChunk: (chunk: Uint8Array) => boolean): Promise<void> {
    const idle = new IdleLimit(this.context.scheduler, this.settings.idleTimeoutMs, () => this.timeout('idle'));
    const signal = this.signal;
    try {
      await readBody(
        response.body,
        (chunk) => {
          idle.touch();
          return onChunk(chunk);
        },
        signal,
      );
      if (signal.aborted) throw signal.reason;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw this.classify(error);
    } finally {
      idle.stop();
    }
  }

  /** A whole unary body as text, at most `maxLength` characters, read within the call's limits. */
  async readAnswer(response: TransportResponse, maxLength: number): Promise<string> {
    const body = new TextCollector();
    try {
      await this.consume(response, (chunk) => {
        body.add(chunk);
        if (body.length <= maxLength) return true;
        throw new ConnectlyProtocolError({
          reason: 'line-too-long',
          message: `The ${this.endpoint} response is longer than maxLineLength (${maxLength} characters)`,
        });
      });
    } finally {
      this.answerLimit?.stop();
    }
    return body.text();
  }

  /** A non-2xx body, read under the same limits as any other; a limit or a break leaves what arrived. */
  async readErrorBody(response: TransportResponse): Promise<string> {
    const body = new TextCollector();
    try {
      await this.consume(response, (chunk) => {
        body.add(chunk);
        return body.length < ERROR_BODY_LIMIT;
      });
    } catch (error) {
      if (this.signal.aborted && !(this.signal.reason instanceof ConnectlyTimeoutError)) throw error;
    }
    return body.text().slice(0, ERROR_BODY_LIMIT);
  }

  private timeout(phase: 'headers' | 'idle'): void {
    const ms = phase === 'headers' ? this.settings.timeoutMs : this.settings.idleTimeoutMs;
    this.controller.abort(new ConnectlyTimeoutError(this.endpoint, phase, ms));
  }
}
