// The contract of a shared session store: where every process keeps each customer's session id and
// the lock that keeps one customer's turns from overlapping. Built from small primitives that each
// store (memory, Redis, a database table) makes atomic on its own.

import { ConnectlyValidationError } from './errors.js';
import { MAX_TIMER_MS as MAX_DELAY_MS } from './timer-limit.js';

/** What the store keeps for one customer. */
export interface StoredSession {
  /** The Connectly session id `init` returned. */
  sessionId: string;
  /** When the session was started, in ms since the epoch. */
  startedAt: number;
}

/**
 * A place shared by every process that talks to one customer. Keys are opaque strings made by the
 * client (business and client key); a store may prefix them. Each method is one atomic step: the
 * client never reads a value and then writes one expecting nothing changed in between, except while
 * it holds the key's lock.
 *
 * What each primitive must guarantee:
 * - `get`: the record last written by `set` and not since deleted or expired; `undefined` otherwise.
 * - `set`: replaces the record and makes it expire `ttlMs` after this call (each turn refreshes it).
 * - `delete`: removes the record only when it still holds `sessionId` (compare-and-delete), so a
 *   process that found a dead session never removes the fresh one another process just stored.
 * - `lock`: takes the key's lock for `owner` only when no unexpired lock exists (set-if-absent with
 *   an expiry, e.g. Redis `SET NX PX`); true when `owner` now holds it for `leaseMs`. Two concurrent
 *   calls never both get true. A lock whose lease has run out counts as absent, so a crashed holder
 *   blocks the customer for at most the lease.
 * - `renew`: extends the lease to `leaseMs` from now only when `owner` still holds the lock; false
 *   when it does not (expired, or taken by another owner since). The client calls it right before
 *   every request it sends to Connectly, and never sends when it answers false.
 * - `unlock`: releases the lock only when `owner` holds it (never another owner's lock).
 * - `close` (optional): releases what the store owns (connections); the client never calls it.
 *
 * A table-backed store (a database, n8n's data tables) gets the same guarantees from a unique key:
 * `lock` as an insert that fails on a duplicate (or an update of the row only where its lease has
 * expired), `renew`/`unlock`/`delete` as updates or deletes conditioned on the owner or session id.
 *
 * Any method may reject (the store is unreachable): the turn then fails with ConnectlySessionStoreError.
 * Every call must also settle soon: the client waits `sessionStoreTimeoutMs` for each (default 5 s, at
 * most a third of the lease), then fails the turn with ConnectlySessionStoreError as if it had rejected,
 * so a store that stops answering (paused, not down) never holds a customer's turns. A store should
 * bound its own calls too (RedisSessionStore does), so nothing waits on it after the client gave up.
 */
export interface SessionStore {
  get(key: string): Promise<StoredSession | undefined>;
  set(key: string, session: StoredSession, ttlMs: number): Promise<void>;
  delete(key: string, sessionId: string): Promise<void>;
  lock(key: string, owner: string, leaseMs: number): Promise<boolean>;
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>;
  unlock(key: string, owner: string): Promise<void>;
  close?(): Promise<void>;
}

/** A session left alone this long (no turn) is forgotten by the store: the next turn starts a new one. */
export const DEFAULT_SESSION_IDLE_MS = 24 * 60 * 60 * 1000;
/** How long a turn's lock outlives a holder that stopped renewing it (crashed, or cut off from the store). */
export const DEFAULT_SESSION_LEASE_MS = 30_000;
/** The longest wait for one store call before the store counts as stuck (a third of the lease when that is less). */
export const DEFAULT_SESSION_STORE_TIMEOUT_MS = 5_000;

export interface SessionSettings {
  store: SessionStore;
  idleMs: number;
  leaseMs: number;
  /** The longest wait for one store call. */
  storeTimeoutMs: number;
}

const STORE_METHODS = ['get', 'set', 'delete', 'lock', 'renew', 'unlock'] as const;

/** Checks the client's session options; undefined when no store is configured. */
export function sessionSettings(options: {
  sessionStore?: SessionStore | undefined;
  sessionIdleMs?: number | undefined;
  sessionLeaseMs?: number | undefined;
  sessionStoreTimeoutMs?: number | undefined;
}): SessionSettings | undefined {
  const store = options.sessionStore;
  if (store === undefined) {
    for (const name of ['sessionIdleMs', 'sessionLeaseMs', 'sessionStoreTimeoutMs'] as const) {
      if (options[name] !== undefined) {
        throw new ConnectlyValidationError(
          name,
          `\`${name}\` only applies with a \`sessionStore\`: add one or drop it`,
        );
      }
    }
    return undefined;
  }
  const missing = STORE_METHODS.filter(
    (name) => typeof (store as unknown as Record<string, unknown> | null)?.[name] !== 'function',
  );
  if (missing.length > 0) {
    throw new ConnectlyValidationError(
      'sessionStore',
      `\`sessionStore\` must implement SessionStore (missing ${missing.join(', ')}): use MemorySessionStore or RedisSessionStore`,
    );
  }
  const idleMs = positiveMs(options.sessionIdleMs, 'sessionIdleMs', DEFAULT_SESSION_IDLE_MS);
  const leaseMs = positiveMs(options.sessionLeaseMs, 'sessionLeaseMs', DEFAULT_SESSION_LEASE_MS);
  const storeTimeoutMs = positiveMs(
    options.sessionStoreTimeoutMs,
    'sessionStoreTimeoutMs',
    Math.min(DEFAULT_SESSION_STORE_TIMEOUT_MS, Math.floor(leaseMs / 3)),
    true,
  );
  return { store, idleMs, leaseMs, storeTimeoutMs };
}

/**
 * A duration option: `fallback` when undefined, otherwise a finite number of milliseconds ≥ 100 (≥ 10 and
 * at most a timer's maximum for a `timer`).
 */
export function positiveMs(value: unknown, field: string, fallback: number, timer = false): number {
  if (value === undefined) return fallback;
  const least = timer ? 10 : 100;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < least || (timer && value > MAX_DELAY_MS)) {
    throw new ConnectlyValidationError(
      field,
      `\`${field}\` must be a finite number of milliseconds ≥ ${least}${timer ? ` and ≤ ${MAX_DELAY_MS}` : ''}, ` +
        `got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(value);
}

/** The store key of one customer's conversation: business and client key, each escaped so `/` cannot collide. */
export function sessionKey(businessId: string, clientKey: string): string {
  return `${encodeURIComponent(businessId)}/${encodeURIComponent(clientKey)}`;
}
