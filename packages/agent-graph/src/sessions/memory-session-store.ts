// A SessionStore for one process: sessions and locks in two Maps, expiry checked by the clock on use.

import type { SessionStore, StoredSession } from './session-store.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

// Expired entries are removed when read; a sweep every so many writes bounds a store whose keys are never read again.
const SWEEP_EVERY = 1000;

// The stores that are this class itself (not a subclass, not a wrapper around one): their calls answer in
// this process without waiting on anything.
const IN_PROCESS = new WeakSet<object>();

/** Whether `store`'s `method` is a MemorySessionStore's own, which answers without waiting on anything. */
export function answersInProcess(store: SessionStore, method: string): boolean {
  return IN_PROCESS.has(store) && !Object.prototype.hasOwnProperty.call(store, method);
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Expiring<StoredSession>>();
  readonly #locks = new Map<string, Expiring<string>>();
  readonly #now: () => number;
  #writes = 0;

  /** `now` replaces the clock (ms since the epoch), e.g. to test expiry without waiting. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    if (new.target === MemorySessionStore) IN_PROCESS.add(this);
  }

  /** How many unexpired sessions the store holds. */
  get size(): number {
    this.sweep();
    return this.#sessions.size;
  }

  async get(key: string): Promise<StoredSession | undefined> {
    const session = this.live(this.#sessions, key);
    return session === undefined ? undefined : { ...session };
  }

  async set(key: string, session: StoredSession, ttlMs: number): Promise<void> {
    this.wrote();
    this.#sessions.set(key, { value: { ...session }, expiresAt: this.#now() + ttlMs });
  }

  async delete(key: string, sessionId: string): Promise<void> {
    if (this.live(this.#sessions, key)?.sessionId === sessionId) this.#sessions.delete(key);
  }

  async lock(key: string, owner: string, leaseMs: number): Promise<boolean> {
    if (this.live(this.#locks, key) !== undefined) return false;
    this.wrote();
    this.#locks.set(key, { value: owner, expiresAt: this.#now() + leaseMs });
    return true;
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    if (this.live(this.#locks, key) !== owner) return false;
    this.#locks.set(key, { value: owner, expiresAt: this.#now() + leaseMs });
    return true;
  }

  async unlock(key: string, owner: string): Promise<void> {
    if (this.live(this.#locks, key) === owner) this.#locks.delete(key);
  }

  async close(): Promise<void> {
    this.#sessions.clear();
    this.#locks.clear();
  }

  private live<T>(map: Map<string, Expiring<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private wrote(): void {
    this.#writes += 1;
    if (this.#writes % SWEEP_EVERY === 0) this.sweep();
  }

  private sweep(): void {
    const now = this.#now();
    for (const map of [this.#sessions, this.#locks] as Array<Map<string, Expiring<unknown>>>) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
  }
}
