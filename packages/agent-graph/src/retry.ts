// When and how long to wait before trying a request again.
//
// An invoke (or init, invoke_sync) that the server may have processed is never sent twice: only
// answers that prove it was not processed (429 and 503 before any body) and connections that never
// reached the server are retried. health and close change nothing on a repeat, so they also retry
// resets and gateway errors; so do the webhook registry's list, update and delete. A message send or a
// webhook create follows the invoke rule: a repeat could send the message twice.

import type { Endpoint } from './errors.js';
import { NOT_SENT_CODES } from './transport.js';

const IDEMPOTENT: ReadonlySet<Endpoint> = new Set<Endpoint>([
  'health',
  'close',
  'webhooks',
  'update/webhooks',
  'delete/webhooks',
]);
const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);
const IDEMPOTENT_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(endpoint: Endpoint, status: number): boolean {
  return (IDEMPOTENT.has(endpoint) ? IDEMPOTENT_RETRY_STATUSES : RETRY_STATUSES).has(status);
}

export function isRetryableConnectionError(endpoint: Endpoint, code: string | undefined): boolean {
  if (code !== undefined && NOT_SENT_CODES.has(code)) return true;
  return IDEMPOTENT.has(endpoint);
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter: attempt 0 waits about `base`, then 2×, 4×…, never above `cap`. */
export function backoffDelay(attempt: number, base: number, cap: number, random = Math.random): number {
  const exponential = Math.min(cap, base * 2 ** attempt);
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
