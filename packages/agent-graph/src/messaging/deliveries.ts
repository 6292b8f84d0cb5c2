// Taking each webhook delivery once: Connectly redelivers until it gets a 200 and does not promise to
// deliver only once, so a receiver remembers what it took. A delivery is claimed while it is handled and
// marked done only once it was; a claim given back (the handling failed) lets the redelivery through.
// Bounded, and expiring by the clock on use.

import { ConnectlyValidationError } from '../errors/errors.js';

export interface DeliveryDeduperOptions {
  /**
   * How long a delivery is remembered, in ms. Default one hour: far past Connectly's redeliveries, and
   * past the age `parseWebhook` accepts (`maxAgeMs`), so a replay inside that age is still a repeat here.
   */
  ttlMs?: number;
  /**
   * How long a claim may stay neither done nor released before a redelivery is taken again, in ms
   * (a handler that never finished). Default 5 minutes.
   */
  leaseMs?: number;
  /** The most deliveries remembered; past it, the oldest is forgotten. Default 10 000. */
  maxEntries?: number;
  /** Replaces the clock (ms since the epoch), e.g. to test expiry without waiting. */
  now?: () => number;
}

/**
 * Remembers the deliveries taken, by a key that is the same on every redelivery: the
 * `x-connectly-hmac-sha256` signature (an HMAC of the exact body) is one.
 *
 * ```ts
 * if (!deduper.claim(signature)) return; // a repeat, or being handled right now
 * try { await handle(event); deduper.done(signature); } catch (e) { deduper.release(signature); throw e; }
 * ```
 */
export class DeliveryDeduper {
  readonly ttlMs: number;
  readonly leaseMs: number;
  readonly maxEntries: number;
  // Key → when it was claimed (or done), and whether it was handled; oldest first.
  readonly #seen = new Map<string, { at: number; done: boolean }>();
  readonly #now: () => number;

  constructor(options: DeliveryDeduperOptions = {}) {
    for (const name of ['ttlMs', 'leaseMs', 'maxEntries'] as const) {
      const value = options[name];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
        throw new ConnectlyValidationError(name, `\`${name}\` must be a positive number, got ${String(value)}`);
      }
    }
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.leaseMs = options.leaseMs ?? 5 * 60 * 1000;
    this.maxEntries = Math.floor(options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /**
   * True when the delivery is new: handle it, then call `done` (or `release` if the handling failed).
   * False for a repeat of a delivery handled, or being handled, now: answer it without handling it again.
   */
  claim(key: string): boolean {
    checkKey(key);
    const now = this.#now();
    this.expire(now);
    const entry = this.#seen.get(key);
    if (entry && (entry.done || now - entry.at < this.leaseMs)) return false;
    this.remember(key, { at: now, done: false });
    return true;
  }

  /** The claimed delivery was handled: its repeats are refused for `ttlMs` from now. */
  done(key: string): void {
    checkKey(key);
    this.remember(key, { at: this.#now(), done: true });
  }

  /** The claimed delivery's handling failed: it is forgotten, so Connectly's redelivery is taken. */
  release(key: string): void {
    checkKey(key);
    this.#seen.delete(key);
  }

  /** How many deliveries are remembered. */
  get size(): number {
    this.expire(this.#now());
    return this.#seen.size;
  }

  private remember(key: string, entry: { at: number; done: boolean }): void {
    this.#seen.delete(key);
    this.#seen.set(key, entry);
    if (this.#seen.size > this.maxEntries) this.#seen.delete(this.#seen.keys().next().value as string);
  }

  private expire(now: number): void {
    for (const [key, { at }] of this.#seen) {
      if (now - at < this.ttlMs) break;
      this.#seen.delete(key);
    }
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') {
    throw new ConnectlyValidationError(
      'key',
      'The delivery key is empty: pass the x-connectly-hmac-sha256 header of a verified delivery',
    );
  }
}
