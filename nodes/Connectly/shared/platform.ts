// The core's platform seam, for n8n: scripts/build-n8n.js bundles this file in place of the core's
// platform.ts, so every timer of the node is n8n-workflow's sleepWithAbort and nothing reaches `process`
// or `globalThis` (n8n's verification rejects both). transport.ts hands the same scheduler and user agent
// to the client, so the node's tests, which run its sources, use them too.
import type { FetchLike, Scheduler } from 'connectly-agent-graph';
import { sleepWithAbort } from 'n8n-workflow';

export type { Scheduler, TimerHandle } from 'connectly-agent-graph';

/** setTimeout/clearTimeout on sleepWithAbort: a timer is an AbortController, cleared by aborting it. */
export const defaultScheduler: Scheduler = {
  setTimeout(callback, ms) {
    const timer = new AbortController();
    sleepWithAbort(ms, timer.signal).then(
      // Cleared after it fired but before this ran: it must not run anymore.
      () => (timer.signal.aborted ? undefined : callback()),
      // sleepWithAbort only rejects when clearTimeout aborted it: a cleared timer has nothing to do.
      () => undefined,
    );
    return timer;
  },
  clearTimeout(handle) {
    (handle as AbortController | undefined)?.abort();
  },
};

/**
 * Waits `ms`, or rejects with the signal's reason (not n8n's generic cancellation) as soon as it aborts.
 * Always on n8n's clock: the only scheduler the node gives the client is the one above.
 */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleepWithAbort(ms, signal);
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}

/** What the node's requests say sent them; n8n's runtime version is not the node's to read. */
export const defaultUserAgent = (): string => 'n8n-nodes-connectly';

/** The key Node's util.inspect looks for, without importing node:util. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** Never reached: the node sends every request through n8n's request helper (transport.ts). */
export const platformFetch: FetchLike = () =>
  Promise.reject(new Error("The Connectly node sends its requests through n8n's request helper only"));
