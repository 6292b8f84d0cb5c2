// One request sent under the retry rule, shared by the agent client and the messaging client: each
// attempt under the call's deadline, only what `retryDelay` allows tried again, redirects and
// compressed answers refused, waits on the scheduler.

import type { Call } from './call.js';
import { ConnectlyConnectionError, type ConnectlyError, ConnectlyProtocolError } from '../errors/errors.js';
import { errorCode } from '../errors/causes.js';
import { sleep } from './platform.js';
import { type RetryPolicy, failurePhase, parseRetryAfter, retryDelay } from './retry.js';
import type { FetchLike, TransportRequest, TransportResponse } from './transport.js';
import type { Endpoint, MessagingEndpoint } from '../wire/api.js';
import type { CallLog } from './call-log.js';

export interface Sender {
  fetch: FetchLike;
  policy: RetryPolicy;
  /** The HTTP request, the same on every attempt. */
  request: Omit<TransportRequest, 'signal' | 'redirect'>;
  /** Told of each answer's status and each retry (the call's log and span). */
  log?: Pick<CallLog, 'answered' | 'retrying'>;
  /** The error for a non-2xx answer that is not tried again, from its status and body. */
  refuse(status: number, text: string, retryAfterMs: number | undefined): ConnectlyError;
}

/**
 * Sends `sender.request` to `url` for `call`; resolves with a 2xx response. A unary call's
 * `timeoutMs` keeps running until its body is read; a stream's (`invoke`) stops at the headers.
 */
export async function sendWithRetries(
  call: Call<Endpoint | MessagingEndpoint>,
  url: string,
  sender: Sender,
): Promise<TransportResponse> {
  const { endpoint, signal } = call;
  const { host, sanitize, scheduler } = call.context;
  for (let attempt = 0; ; attempt += 1) {
    const limit = call.startDeadline();
    let response: TransportResponse;
    try {
      response = await sender.fetch(url, { ...sender.request, signal, redirect: 'manual' });
    } catch (error) {
      limit.stop();
      if (signal.aborted) throw signal.reason;
      const code = errorCode(error);
      // fetch refusing to send at all (a port it forbids, say) is a TypeError with no system code.
      const refused = code === undefined && (error as Error | undefined)?.name === 'TypeError';
      const wait = refused
        ? undefined
        : retryDelay(endpoint, attempt, { kind: 'connection', errorCode: code }, sender.policy);
      if (wait !== undefined) {
        sender.log?.retrying(wait, code ?? 'a connection failure');
        await sleep(wait, signal, scheduler);
        continue;
      }
      const phase = refused ? 'connect' : failurePhase(code);
      throw ConnectlyConnectionError.from(endpoint, error, phase, host, sanitize);
    }
    sender.log?.answered(response.status);
    if (response.status >= 200 && response.status < 300) {
      const encoding = response.headers.get('content-encoding');
      if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') {
        limit.stop();
        throw ConnectlyProtocolError.compressed(endpoint, encoding, sanitize);
      }
      if (endpoint === 'invoke') limit.stop();
      else call.holdUntilRead(limit);
      return response;
    }
    if (response.status >= 300 && response.status < 400) {
      limit.stop();
      const location = response.headers.get('location');
      throw ConnectlyConnectionError.redirected(endpoint, response.status, location, url, sanitize);
    }
    const text = await call.readErrorBody(response).finally(() => limit.stop());
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const failure = { kind: 'status', status: response.status, retryAfterMs } as const;
    // After a time limit fired while the error body arrived, the status is reported, not retried.
    const wait = signal.aborted ? undefined : retryDelay(endpoint, attempt, failure, sender.policy);
    if (wait !== undefined) {
      sender.log?.retrying(wait, `HTTP ${response.status}`);
      await sleep(wait, signal, scheduler);
      continue;
    }
    throw sender.refuse(response.status, text, retryAfterMs);
  }
}
