// Whether and when a failed attempt is tried again: the one place that decides.
//
// An invoke (or init, invoke_sync) that the server may have processed is never sent twice: only
// answers that prove it was not processed (429 and 503 before any body) and connections that never
// reached the server are retried. health and close change nothing on a repeat, so they also retry
// resets and gateway errors; so do the webhook registry's list, update and delete. A message send or a
// webhook create follows the invoke rule: a repeat could send the message twice. What proves a request
// was not processed is decided here once (`provedNotProcessed`), for retries and for every caller that
// must know whether sending again could repeat it (`turnNotProcessed`, `sendReply`'s outcomes).

import { ConnectlyApiError, ConnectlyConnectionError, ConnectlyValidationError } from './errors.js';
import { ConnectlyMessagingError } from './messaging/errors.js';
import { MAX_TIMER_MS as MAX_DELAY_MS } from './timer-limit.js';
import type { Endpoint, MessagingEndpoint } from './wire.js';

/** No back-off wait is longer than this, however many attempts came before. */
export const BACKOFF_CAP_MS = 8_000;

const IDEMPOTENT: ReadonlySet<Endpoint | MessagingEndpoint> = new Set<Endpoint | MessagingEndpoint>([
  'health',
  'close',
  'webhooks',
  'update/webhooks',
  'delete/webhooks',
]);
// Answers that prove the request was not processed and ask for it later: the only ones an invoke is retried on.
const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);
// [INFERRED] Refusals of the request as a whole (invalid, unauthenticated, forbidden, unknown session or
// business): grpc-gateway answers them before the handler acts on the input. Proof that nothing was
// processed, though trying again cannot help. A 500, 502 or 504 proves nothing: the work may have been done.
const REFUSED_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404]);
const IDEMPOTENT_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Codes that prove the request never reached the server, so re-sending cannot repeat it. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// A TLS handshake failure (an https base URL pointing at a plain-http server, a bad certificate): the
// request never left, but trying again cannot help.
function isTlsFailure(code: string): boolean {
  return /^(ERR_SSL|ERR_TLS|EPROTO$|CERT_|UNABLE_TO_VERIFY|DEPTH_ZERO|SELF_SIGNED)/.test(code);
}

/** Where a failed connection broke: `'connect'` when nothing can have reached the server. */
export function failurePhase(code: string | undefined): 'connect' | 'response' {
  return code !== undefined && (NOT_SENT_CODES.has(code) || isTlsFailure(code)) ? 'connect' : 'response';
}

export interface RetryPolicy {
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
}

/** What went wrong with one attempt: an HTTP status before any body, or a failed connection. */
export type AttemptFailure =
  | { kind: 'status'; status: number; retryAfterMs: number | undefined }
  | { kind: 'connection'; errorCode: string | undefined };

/**
 * True when a failure proves the request was not processed, so sending it again cannot repeat it: the
 * connection never reached the server, or the answer (before any body) refused it. The rule behind
 * every retry of a request that is not idempotent, and behind `turnNotProcessed()` and the outcome of
 * each message `sendReply()` reports.
 */
export function provedNotProcessed(failure: AttemptFailure): boolean {
  if (failure.kind === 'connection') return failurePhase(failure.errorCode) === 'connect';
  return RETRY_STATUSES.has(failure.status) || REFUSED_STATUSES.has(failure.status);
}

/**
 * The same rule for a call's error: true when it proves the request was not processed. Refused before
 * sending (bad input), a connection that never reached the server, or a status of
 * {@link provedNotProcessed}; an error line inside a 200 stream, a time limit, a cancellation or a
 * broken answer prove nothing.
 */
export function errorProvesNotProcessed(error: unknown): boolean {
  if (error instanceof ConnectlyValidationError) return true;
  if (error instanceof ConnectlyConnectionError) return error.phase === 'connect';
  if (error instanceof ConnectlyApiError || error instanceof ConnectlyMessagingError) {
    return (
      error.status !== 200 && provedNotProcessed({ kind: 'status', status: error.status, retryAfterMs: undefined })
    );
  }
  return false;
}

/**
 * How long to wait before attempt `attempt + 1`, or undefined when the failure must be reported:
 * retries are used up, the request may have been processed, or the server asks for a longer wait
 * than `maxRetryDelayMs`.
 */
export function retryDelay(
  endpoint: Endpoint | MessagingEndpoint,
  attempt: number,
  failure: AttemptFailure,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxRetries) return undefined;
  const backoff = (): number => backoffDelay(attempt, policy.retryBaseDelayMs, BACKOFF_CAP_MS, random);
  const idempotent = IDEMPOTENT.has(endpoint);
  if (!idempotent && !provedNotProcessed(failure)) return undefined;
  if (failure.kind === 'connection') {
    // A TLS failure never left either, but trying again cannot help.
    return idempotent || !isTlsFailure(failure.errorCode ?? '') ? backoff() : undefined;
  }
  if (!(idempotent ? IDEMPOTENT_RETRY_STATUSES : RETRY_STATUSES).has(failure.status)) return undefined;
  if (failure.retryAfterMs === undefined) return backoff();
  const longest = Math.min(policy.maxRetryDelayMs, MAX_DELAY_MS);
  return failure.retryAfterMs <= longest ? failure.retryAfterMs : undefined;
}

/**
 * Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds. Undefined when absent or
 * unreadable (`-1`, `soon`, a date that has passed): the normal back-off applies then.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date names its weekday or month; a bare number Date.parse would read as a year does not.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const wait = Date.parse(trimmed) - now;
  return wait > 0 ? wait : undefined;
}

/** Exponential backoff with jitter: attempt 0 waits about `base`, then 2×, 4×…, never above `cap`. */
export function backoffDelay(attempt: number, base: number, cap: number, random = Math.random): number {
  const exponential = Math.min(cap, base * 2 ** attempt);
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
