// What the mock remembers for tests, and how a test waits for it: records are bounded on request
// (`maxRecords`), so a long-running mock does not grow, and every wait is bounded by a timeout.

import type { EventEmitter } from 'node:events';

/** Drops the oldest records until at most `limit` are left; no limit keeps them all. */
export function keepNewest(records: unknown[], limit: number | undefined): void {
  if (limit !== undefined && records.length > limit) records.splice(0, records.length - limit);
}

/**
 * Resolves once `done()` holds, checked now and after each `event` of `emitter`; rejects with
 * `timedOut()` once `timeoutMs` have passed first.
 */
export function waitUntil(
  emitter: Pick<EventEmitter, 'on' | 'off'>,
  event: string,
  done: () => boolean,
  timeoutMs: number,
  timedOut: () => Error,
): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!done()) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve();
    };
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(timedOut());
    }, timeoutMs);
    emitter.on(event, check);
  });
}
