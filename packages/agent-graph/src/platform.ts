// What the core takes from its runtime: timers, the HTTP transport, the user-agent. The only file of the
// core that touches global timers, `process` or `globalThis`, so a host with its own timers (n8n, tests)
// can supply a `Scheduler` and the rest of the core runs anywhere `fetch` and `TextDecoder` exist.

import type { ConnectlyLogger } from './call-log.js';
import { type PoolSettings, TRANSPORT_LIMIT_MS, undiciTransport } from './node-transport.js';
import type { FetchLike } from './transport.js';
import { MAX_TIMER_MS } from './timer-limit.js';
import { VERSION } from './version.js';

/** Whatever a scheduler returns for a timer; only ever handed back to its own `clearTimeout`. */
export type TimerHandle = unknown;

/** The timers the client uses for time limits and retry back-off. */
export interface Scheduler {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The runtime's timers; they do not keep a Node process alive on their own (a call in flight does: `holdProcess`). */
export const defaultScheduler: Scheduler = {
  setTimeout(callback, ms) {
    const timer = globalThis.setTimeout(callback, ms);
    (timer as { unref?: () => void }).unref?.();
    return timer;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
};

// Calls in flight, and the one timer that keeps the process alive for them.
let callsInFlight = 0;
let keeper: ReturnType<typeof globalThis.setInterval> | undefined;

/**
 * Keeps a Node process alive until the returned function is called: a call in flight holds it from its
 * start until it settles or is cancelled, so a pending call (a retry back-off, a time limit, a wait for a
 * conversation's lock) is never cut short by the process exiting with nothing reported. The scheduler's
 * own timers stay unref'd, so a client with nothing in flight keeps nothing alive. Releasing twice is harmless.
 */
export function holdProcess(): () => void {
  callsInFlight += 1;
  keeper ??= globalThis.setInterval(() => undefined, MAX_TIMER_MS);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    callsInFlight -= 1;
    if (callsInFlight === 0 && keeper !== undefined) {
      globalThis.clearInterval(keeper);
      keeper = undefined;
    }
  };
}

/** Waits `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal, scheduler: Scheduler = defaultScheduler): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      scheduler.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = scheduler.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `connectly-agent-graph/<version> node/<version>`; outside Node, the runtime part is left out. */
export function defaultUserAgent(): string {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return node === undefined ? `connectly-agent-graph/${VERSION}` : `connectly-agent-graph/${VERSION} node/${node}`;
}

/** `CONNECTLY_LOG=debug` in the environment: a logger that writes each call's log lines to stderr. */
export function environmentLogger(): ConnectlyLogger | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.['CONNECTLY_LOG'] !== 'debug') return undefined;
  const write = (level: string, fields: Record<string, unknown>, message: string): void =>
    globalThis.console.error(`[connectly] ${level} ${message} ${JSON.stringify(fields)}`);
  return {
    debug: (fields, message) => write('debug', fields, message),
    warn: (fields, message) => write('warn', fields, message),
  };
}

/** A random id (a UUID), e.g. to tell one holder of a lock from another. */
export function randomId(): string {
  return (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID();
}

/** The key under which Node's `util.inspect` looks for a custom formatter, without importing `node:util`. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

// One pool for every client that keeps the default settings, as Node's fetch has one global dispatcher.
let sharedTransport: FetchLike | undefined;

/**
 * The default transport: undici's request API over a keep-alive pool (node-transport.ts); with
 * `pool`, a pool of the client's own. The longest time limit it honours is `TRANSPORT_LIMIT_MS`.
 */
export function platformTransport(pool?: PoolSettings): FetchLike {
  if (pool !== undefined) return undiciTransport(pool);
  return (sharedTransport ??= undiciTransport());
}

export { TRANSPORT_LIMIT_MS };
