// The core's platform seam, for n8n: scripts/build-n8n.js bundles this file in place of the core's
// platform.ts, so every timer of the node is n8n-workflow's (sleepWithAbort, or the sleep that replaced
// it) and nothing reaches `process` or `globalThis` (n8n's verification rejects both). transport.ts hands
// the same scheduler and user agent to the client, so the node's tests, which run its sources, use them too.
import type { ConnectlyLogger, FetchLike, Scheduler } from 'connectly-agent-graph';
import { randomUUID } from 'node:crypto';
import * as n8nWorkflow from 'n8n-workflow';

export type { Scheduler, TimerHandle } from 'connectly-agent-graph';

// n8n-workflow's timer helpers differ by version: older ones export sleep(ms) and sleepWithAbort(ms,
// signal); newer ones (n8n 2.41's) fold the abort into sleep(ms, signal) and drop sleepWithAbort.
// Read at call time, so the node runs on whichever n8n loads it.
const helpers: {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  sleepWithAbort?: (ms: number, signal: AbortSignal) => Promise<void>;
} = n8nWorkflow;

/**
 * Resolves after `ms`, or rejects with the signal's reason (not n8n's generic cancellation) as soon as it
 * aborts, even on an n8n whose sleep ignores the signal.
 */
function n8nSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const wait = helpers.sleepWithAbort ? helpers.sleepWithAbort(ms, signal) : helpers.sleep(ms, signal);
    wait.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      // The helper rejects only when the signal aborts, which onAbort has already reported.
      () => undefined,
    );
  });
}

/** setTimeout/clearTimeout on n8n's timer helper: a timer is an AbortController, cleared by aborting it. */
export const defaultScheduler: Scheduler = {
  setTimeout(callback, ms) {
    const timer = new AbortController();
    n8nSleep(ms, timer.signal).then(
      // Cleared after it fired but before this ran: it must not run anymore.
      () => (timer.signal.aborted ? undefined : callback()),
      // A cleared timer has nothing left to do.
      () => undefined,
    );
    return timer;
  },
  clearTimeout(handle) {
    (handle as AbortController | undefined)?.abort();
  },
};

/** n8n's own process outlives every execution: a call in flight has nothing to keep alive. */
export const holdProcess = (): (() => void) => (): void => undefined;

/** Every wait of the node is on n8n's clock: the only scheduler the node gives the client is the one above. */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> => n8nSleep(ms, signal);

/** A random id (a UUID); node:crypto is one of the modules n8n Cloud allows. */
export const randomId = (): string => randomUUID();

/** What the node's requests say sent them; n8n's runtime version is not the node's to read. */
export const defaultUserAgent = (): string => 'n8n-nodes-connectly';

/** The node reads no environment (n8n's verification forbids it): no logger unless one is passed. */
export const environmentLogger = (): ConnectlyLogger | undefined => undefined;

/** The key Node's util.inspect looks for, without importing node:util. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** Never reached: the node sends every request through n8n's request helper (transport.ts). */
export const platformTransport = (): FetchLike => () =>
  Promise.reject(new Error("The Connectly node sends its requests through n8n's request helper only"));

/** The node always passes its own transport, whose limits are n8n's timers'. */
export const TRANSPORT_LIMIT_MS = 300_000;
