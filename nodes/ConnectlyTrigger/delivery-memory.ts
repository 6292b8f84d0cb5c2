// The deliveries this process has already taken, so that a redelivery starts no second execution: bounded
// in size and in time, and kept in memory only (each n8n webhook process keeps its own).

/** How long a delivery is remembered: far past Connectly's redelivery window (minutes). */
export const REMEMBER_MS = 60 * 60 * 1000;

/** How many deliveries are remembered at most; past this the oldest are forgotten first. */
export const REMEMBER_COUNT = 10_000;

export class DeliveryMemory {
  // Insertion order is arrival order, so the first entries are always the oldest.
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = REMEMBER_COUNT,
    private readonly ttlMs = REMEMBER_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `key` was already taken within the time limit; otherwise remembers it and returns false. */
  seenBefore(key: string): boolean {
    const now = this.now();
    for (const [oldest, at] of this.#seen) {
      if (now - at < this.ttlMs) break;
      this.#seen.delete(oldest);
    }
    if (this.#seen.has(key)) return true;
    if (this.#seen.size >= this.maxEntries) this.#seen.delete(this.#seen.keys().next().value as string);
    this.#seen.set(key, now);
    return false;
  }
}
