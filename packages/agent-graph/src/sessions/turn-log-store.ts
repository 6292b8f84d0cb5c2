// The contract of a turn log store: where a resumable turn keeps its events, so that any process can
// replay them after an id and follow the live ones, plus a memory implementation for one process.

/** How a turn ended. `interrupted`: the process running it stopped (crashed, or shut down) before the end. */
export type TurnEndReason = 'completed' | 'failed' | 'stopped' | 'interrupted';

/** What a read finds after an id. */
export interface TurnLogSnapshot {
  /** The entries after the id asked for, oldest first: entry `i` has the id `afterId + 1 + i`. */
  entries: string[];
  /** Set once the turn has ended; its end entry is then the log's last one. */
  end: TurnEndReason | undefined;
  /** True while the process running the turn keeps renewing its lease. */
  owned: boolean;
  /** What `create` was given as `meta` (e.g. the trace context of the request that started the turn). */
  meta: string | undefined;
}

/** What `heartbeat` tells the process running a turn. */
export type TurnHeartbeat = 'running' | 'stop' | 'lost';

/**
 * A place shared by every process that serves a turn's events. Turn ids are opaque strings; a store may
 * prefix them. Each method is one atomic step:
 * - `create`: creates the turn's log, held by `owner` for `leaseMs`, only when no turn with that id
 *   exists; false otherwise. The log is kept `retentionMs` after its last heartbeat or its end. `meta`
 *   (optional, opaque) is returned by every `read`.
 * - `append`: adds an entry and answers its id (1, 2, 3…: one more than the last), or 0 when the turn
 *   has ended or is unknown: nothing is ever added after the end entry.
 * - `end`: adds the end entry and records `reason`, only for the first call (0 for the next ones); the
 *   lease is released and the log now expires `retentionMs` after this call.
 * - `read`: up to `limit` entries after `afterId` with the end and whether an owner still holds the
 *   turn, all as of one moment; `undefined` when the turn is unknown or its retention has passed.
 * - `heartbeat`: renews `owner`'s lease (and the retention) while it holds the turn; answers `stop`
 *   once `requestStop` was called, `lost` when the lease ran out, the turn ended, or another owner holds it.
 * - `requestStop`: records a stop request for a turn that has not ended; false otherwise.
 * - `subscribe`: calls `onAppend` after entries are added to the turn (a hint: followers then `read`,
 *   and also read on a timer, so a missed hint only delays them). Resolves with the unsubscribe function.
 * - `close` (optional): releases what the store owns (connections).
 */
export interface TurnLogStore {
  create(turnId: string, owner: string, leaseMs: number, retentionMs: number, meta?: string): Promise<boolean>;
  append(turnId: string, entry: string): Promise<number>;
  end(turnId: string, reason: TurnEndReason, entry: string, retentionMs: number): Promise<number>;
  read(turnId: string, afterId: number, limit: number): Promise<TurnLogSnapshot | undefined>;
  heartbeat(turnId: string, owner: string, leaseMs: number, retentionMs: number): Promise<TurnHeartbeat>;
  requestStop(turnId: string): Promise<boolean>;
  subscribe(turnId: string, onAppend: () => void): Promise<() => void>;
  close?(): Promise<void>;
}

interface MemoryTurn {
  meta: string | undefined;
  entries: string[];
  end: TurnEndReason | undefined;
  stop: boolean;
  owner: string | undefined;
  leaseEndsAt: number;
  expiresAt: number;
  listeners: Set<() => void>;
}

// Expired turns are removed when read; a sweep every so many new turns bounds a store whose turns are never read again.
const SWEEP_EVERY = 1000;

/** A TurnLogStore for one process: logs in a Map, expiry checked by the clock on use. */
export class MemoryTurnLogStore implements TurnLogStore {
  readonly #turns = new Map<string, MemoryTurn>();
  readonly #now: () => number;
  #creates = 0;

  /** `now` replaces the clock (ms since the epoch), e.g. to test expiry without waiting. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** How many turns (running, or ended within their retention) the store holds. */
  get size(): number {
    for (const id of [...this.#turns.keys()]) this.live(id);
    return this.#turns.size;
  }

  async create(turnId: string, owner: string, leaseMs: number, retentionMs: number, meta?: string): Promise<boolean> {
    if (this.live(turnId) !== undefined) return false;
    this.#creates += 1;
    if (this.#creates % SWEEP_EVERY === 0) for (const id of [...this.#turns.keys()]) this.live(id);
    const now = this.#now();
    this.#turns.set(turnId, {
      meta,
      entries: [],
      end: undefined,
      stop: false,
      owner,
      leaseEndsAt: now + leaseMs,
      expiresAt: now + retentionMs,
      listeners: new Set(),
    });
    return true;
  }

  async append(turnId: string, entry: string): Promise<number> {
    const turn = this.live(turnId);
    if (turn === undefined || turn.end !== undefined) return 0;
    turn.entries.push(entry);
    this.notify(turn);
    return turn.entries.length;
  }

  async end(turnId: string, reason: TurnEndReason, entry: string, retentionMs: number): Promise<number> {
    const turn = this.live(turnId);
    if (turn === undefined || turn.end !== undefined) return 0;
    turn.entries.push(entry);
    turn.end = reason;
    turn.owner = undefined;
    turn.expiresAt = this.#now() + retentionMs;
    this.notify(turn);
    return turn.entries.length;
  }

  async read(turnId: string, afterId: number, limit: number): Promise<TurnLogSnapshot | undefined> {
    const turn = this.live(turnId);
    if (turn === undefined) return undefined;
    const start = Math.max(0, afterId);
    return {
      entries: turn.entries.slice(start, start + limit),
      end: turn.end,
      owned: turn.owner !== undefined && turn.leaseEndsAt > this.#now(),
      meta: turn.meta,
    };
  }

  async heartbeat(turnId: string, owner: string, leaseMs: number, retentionMs: number): Promise<TurnHeartbeat> {
    const turn = this.live(turnId);
    const now = this.#now();
    if (turn === undefined || turn.end !== undefined || turn.owner !== owner || turn.leaseEndsAt <= now) {
      return 'lost';
    }
    turn.leaseEndsAt = now + leaseMs;
    turn.expiresAt = now + retentionMs;
    return turn.stop ? 'stop' : 'running';
  }

  async requestStop(turnId: string): Promise<boolean> {
    const turn = this.live(turnId);
    if (turn === undefined || turn.end !== undefined) return false;
    turn.stop = true;
    return true;
  }

  async subscribe(turnId: string, onAppend: () => void): Promise<() => void> {
    const listeners = this.live(turnId)?.listeners;
    // A listener is a hint only: one for an unknown turn has nothing to hear.
    if (listeners === undefined) return () => undefined;
    const listener = () => onAppend();
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#turns.clear();
  }

  private live(turnId: string): MemoryTurn | undefined {
    const turn = this.#turns.get(turnId);
    if (turn === undefined) return undefined;
    if (turn.expiresAt <= this.#now()) {
      this.#turns.delete(turnId);
      return undefined;
    }
    return turn;
  }

  private notify(turn: MemoryTurn): void {
    // Listeners run after the caller's step, as a store across the network would call them.
    for (const listener of [...turn.listeners]) queueMicrotask(listener);
  }
}
