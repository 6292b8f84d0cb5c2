// One request sent under the retry rule, shared by the agent client and the messaging client: each
// attempt under its own deadline, only what `retryDelay` allows tried again, waits on the scheduler.

import { ConnectlyConnectionError, type ConnectlyError, type Sanitize, errorCode } from './errors.js';
import { type Scheduler, sleep } from './platform.js';
import { failurePhase, parseRetryAfter, retryDelay, type RetryPolicy } from './retry.js';
import { deadline } from './timers.js';
import { type FetchLike, type TransportRequest, type TransportResponse, readText } from './transport.js';
import type { Endpoint, MessagingEndpoint } from './wire.js';

// The most of a non-2xx body that is read for its error message.
const ERROR_BODY_LIMIT = 64 * 1024;

export interface Attempts {
  endpoint: Endpoint | MessagingEndpoint;
  url: string;
  request: Omit<TransportRequest, 'signal'>;
  /** Aborting it cancels the call; its reason is what the call rejects with. */
  controller: AbortController;
  /** Per attempt, until the response headers; 0 disables. */
  timeoutMs: number;
  onTimeout: () => void;
  fetch: FetchLike;
  scheduler: Scheduler;
  policy: RetryPolicy;
  /** Where the client was trying to reach, for connection errors. */
  host: string;
  sanitize: Sanitize;
  /** The error for a non-2xx answer that is not tried again. */
  refuse(status: number, text: string, retryAfterMs: number | undefined): ConnectlyError;
}

/** Resolves with the first 2xx response; rejects with the abort reason, a connection error or `refuse(…)`. */
export async function sendWithRetries(call: Attempts): Promise<TransportResponse> {
  const { endpoint, controller, scheduler } = call;
  const signal = controller.signal;
  for (let attempt = 0; ; attempt += 1) {
    const timer = deadline(scheduler, call.timeoutMs, call.onTimeout);
    let response: TransportResponse;
    try {
      response = await call.fetch(call.url, { ...call.request, signal });
    } catch (error) {
      timer.stop();
      if (signal.aborted) throw signal.reason;
      const code = errorCode(error);
      const wait = retryDelay(endpoint, attempt, { kind: 'connection', errorCode: code }, call.policy);
      if (wait !== undefined) {
        await sleep(wait, signal, scheduler);
        continue;
      }
      throw ConnectlyConnectionError.from(endpoint, error, failurePhase(code), call.host, call.sanitize);
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
    const wait = retryDelay(endpoint, attempt, { kind: 'status', status: response.status, retryAfterMs }, call.policy);
    if (wait !== undefined) {
      await sleep(wait, signal, scheduler);
      continue;
    }
    throw call.refuse(response.status, text, retryAfterMs);
  }
}
