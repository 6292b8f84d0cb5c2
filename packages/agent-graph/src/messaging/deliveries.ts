// Taking each webhook delivery once: Connectly redelivers until it gets a 200 and does not promise to
// deliver only once, so a receiver remembers what it took. Bounded, and expiring by the clock on use.

import { ConnectlyValidationError } from '../errors.js';

export interface DeliveryDeduperOptions {
  /** How long a delivery is remembered, in ms. Default one hour (Connectly's redeliveries come within minutes). */
  ttlMs?: number;
  /** The most deliveries remembered; past it, the oldest is forgotten. Default 10 000. */
  maxEntries?: number;
  /** Replaces the clock (ms since the epoch), e.g. to test expiry without waiting. */
  now?: () => number;
}

/**
 * Remembers the deliveries already taken, by a key that is the same on every redelivery: the
 * `x-connectly-hmac-sha256` signature (an HMAC of the exact body) is one.
 */
export class DeliveryDeduper {
  readonly ttlMs: number;
  readonly maxEntries: number;
  // Key → when it was first seen; in insertion order, oldest first.
  readonly #seen = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: DeliveryDeduperOptions = {}) {
    for (const name of ['ttlMs', 'maxEntries'] as const) {
      const value = options[name];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
        throw new ConnectlyValidationError(name, `\`${name}\` must be a positive number, got ${String(value)}`);
      }
    }
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.maxEntries = Math.floor(options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** True the first time a key is seen (take the delivery), false while it is remembered (a repeat). */
  first(key: string): boolean {
    if (typeof key !== 'string' || key === '') {
      throw new ConnectlyValidationError(
        'key',
        'The delivery key is empty: pass the x-connectly-hmac-sha256 header of a verified delivery',
      );
    }
    const now = this.#now();
    this.expire(now);
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, now);
    if (this.#seen.size > this.maxEntries) this.#seen.delete(this.#seen.keys().next().value as string);
    return true;
  }

  /** How many deliveries are remembered. */
  get size(): number {
    this.expire(this.#now());
    return this.#seen.size;
  }

  private expire(now: number): void {
    for (const [key, seenAt] of this.#seen) {
      if (now - seenAt < this.ttlMs) break;
      this.#seen.delete(key);
    }
  }
}
