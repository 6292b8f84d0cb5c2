// The public conformance suite of a ConversationStore: named cases any test runner can loop over, each
// opening its own stores (two of them over one shared namespace, as two processes see one store) and
// checking the contract with node:assert.

import { deliveryCases } from './conformance-deliveries.js';
import { inboxCases } from './conformance-inbox.js';
import { outboxCases } from './conformance-outbox.js';
import { stateCases } from './conformance-state.js';
import type { CaseBody } from './conformance-types.js';
import type { ConversationStore } from './store.js';

/** One case of the suite: run it in your runner's test; it rejects (an AssertionError) when the store fails it. */
export interface ConformanceCase {
  name: string;
  run(): Promise<void>;
}

/**
 * Opens a store over `namespace`. Each case calls it with a namespace of its own (start empty there,
 * e.g. make it the key prefix), and calls it twice with the same namespace where it checks what two
 * processes see: both stores must then share their records (for a store of one process, return the same
 * instance for the same namespace). The suite closes every store it opened.
 */
export type OpenConversationStore = (namespace: string) => ConversationStore | Promise<ConversationStore>;

/** Durations the cases use: short, so that expiry is seen within a test; raise them for a slow store. */
export interface ConformanceOptions {
  /** The lease or TTL a case waits out, in ms. Default 200. */
  shortMs?: number;
  /** How many claims race in the concurrency cases. Default 20. */
  racers?: number;
}

let suite = 0;

/**
 * The cases a ConversationStore must pass: atomic delivery claims (N concurrent claims, one winner),
 * lease expiry, stale-token refusal, the replay window, hold TTLs, choice order and bounds, the
 * monotonic last inbound time, echo matching with and without a message id, the inbox, and the outbox
 * (opened atomically with the answered claims, each message begun by one sender).
 *
 * ```ts
 * for (const { name, run } of conversationStoreConformance((ns) => new MyStore({ prefix: ns }))) {
 *   it(name, run); // jest, vitest; node:test: test(name, run)
 * }
 * ```
 */
export function conversationStoreConformance(
  open: OpenConversationStore,
  options: ConformanceOptions = {},
): ConformanceCase[] {
  const shortMs = options.shortMs ?? 200;
  const racers = options.racers ?? 20;
  suite += 1;
  const run = suite;
  const all: Record<string, CaseBody> = { ...deliveryCases, ...stateCases, ...inboxCases, ...outboxCases };
  return Object.entries(all).map(([name, body], index) => ({
    name,
    run: async () => {
      const namespace = `conformance-${run}-${index}-${Math.random().toString(36).slice(2, 10)}:`;
      const opened: ConversationStore[] = [];
      const store = async () => {
        const made = await open(namespace);
        opened.push(made);
        return made;
      };
      try {
        await body({ store, shortMs, racers });
      } finally {
        for (const each of new Set(opened)) await each.close?.();
      }
    },
  }));
}
