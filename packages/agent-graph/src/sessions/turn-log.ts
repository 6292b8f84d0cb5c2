// Resumable turns: a turn runs detached from whoever reads it and writes each event to a TurnLogStore;
// any process can then follow it from an event id (replay, then live, then the end). A follower whose
// turn lost its owner (the process running it died) ends it as `interrupted` instead of waiting forever.

import { Observable, Subscription, defer } from 'rxjs';
import {
  ConnectlyAbortError,
  ConnectlyError,
  ConnectlyTurnLogError,
  ConnectlyValidationError,
} from '../errors/errors.js';
import type { AgentEvent } from '../wire/events.js';
import { type Scheduler, defaultScheduler, randomId } from '../http/platform.js';
import { positiveMs } from './session-store.js';
import type { TurnEndReason, TurnLogStore } from './turn-log-store.js';

/** How long a turn's log is kept after its end (and after its owner's last heartbeat). */
export const DEFAULT_TURN_RETENTION_MS = 10 * 60 * 1000;
/** How long a turn stays owned after its process's last heartbeat; heartbeats come every third of it. */
export const DEFAULT_TURN_LEASE_MS = 10_000;
// Entries a follower reads at once: a long backlog is replayed in steps, not loaded whole.
const READ_BATCH = 64;

/** What a failed or interrupted turn tells its readers: safe to show (no key, no stack); it may carry more fields. */
export interface TurnErrorData {
  name: string;
  message: string;
}

/** One item of a followed turn: an agent event, then exactly one end item with the id after the last event. */
export type TurnLogItem =
  { id: number; event: AgentEvent } | { id: number; end: TurnEndReason; error?: TurnErrorData | undefined };

export interface TurnLogOptions {
  store: TurnLogStore;
  /** Default 10 minutes ({@link DEFAULT_TURN_RETENTION_MS}). */
  retentionMs?: number;
  /** Default 10 s ({@link DEFAULT_TURN_LEASE_MS}): a follower of a turn whose process died learns it within this. */
  leaseMs?: number;
  /** Timers for the heartbeats and the followers' checks. */
  scheduler?: Scheduler;
}

export interface StartTurnOptions {
  /** The turn's id; a random UUID by default. Starting a second turn with a taken id fails. */
  turnId?: string;
  /** Turns the error that failed the turn into what readers get. Default: name and message of a ConnectlyError. */
  describeError?: (error: unknown) => TurnErrorData;
  /** Kept with the turn and given to every reader by `meta()`, e.g. the trace context of the request that started it. */
  meta?: string;
}

export interface FollowOptions {
  /**
   * Awaited before each item is emitted: lets a reader pace a replay to its connection (e.g. yield to
   * the event loop so the previous event is written first), rather than taking a whole batch at once.
   */
  ready?: () => Promise<void>;
}

export interface RunningTurn {
  turnId: string;
  /** Resolves once the end entry is written (or the turn was ended by another process). */
  ended: Promise<TurnEndReason>;
}

/** What readers of a turn get when the process running it stopped before its end. */
export const TURN_INTERRUPTED: TurnErrorData = {
  name: 'ConnectlyTurnInterruptedError',
  message:
    'The reply was interrupted: the server running it stopped before it ended. ' +
    'Send the message again to get a new reply',
};

function defaultDescribe(error: unknown): TurnErrorData {
  if (error instanceof ConnectlyError) return { name: error.name, message: error.message };
  return { name: 'Error', message: 'The agent reply failed unexpectedly' };
}

function encodeEnd(end: TurnEndReason, error?: TurnErrorData): string {
  return JSON.stringify(error === undefined ? { end } : { end, error });
}

function decode(entry: string, id: number): TurnLogItem {
  const parsed = JSON.parse(entry) as { event?: AgentEvent; end?: TurnEndReason; error?: TurnErrorData };
  if (parsed.end !== undefined) return { id, end: parsed.end, error: parsed.error };
  return { id, event: parsed.event as AgentEvent };
}

function storeError(turnId: string, step: string, cause: unknown): ConnectlyTurnLogError {
  return new ConnectlyTurnLogError({
    reason: 'store',
    turnId,
    message: `The turn log store failed to ${step} turn ${turnId}: check that it is reachable`,
    cause,
  });
}

/**
 * Runs turns whose events outlive the connection that asked for them, and follows them from any process
 * sharing the store. One per process; `close()` on shutdown marks the turns still running as interrupted.
 */
export class TurnLog {
  readonly store: TurnLogStore;
  readonly retentionMs: number;
  readonly leaseMs: number;
  /** Tells this process's heartbeats from another's. */
  readonly owner = randomId();
  readonly #scheduler: Scheduler;
  readonly #running = new Map<string, (reason: TurnEndReason, error?: TurnErrorData) => Promise<TurnEndReason>>();

  constructor(options: TurnLogOptions) {
    const store = options?.store as Partial<TurnLogStore> | undefined;
    const missing = (['create', 'append', 'end', 'read', 'heartbeat', 'requestStop', 'subscribe'] as const).filter(
      (name) => typeof store?.[name] !== 'function',
    );
    if (missing.length > 0) {
      throw new ConnectlyValidationError(
        'store',
        `\`store\` must implement TurnLogStore (missing ${missing.join(', ')}): use MemoryTurnLogStore or RedisTurnLogStore`,
      );
    }
    this.store = options.store;
    this.retentionMs = positiveMs(options.retentionMs, 'retentionMs', DEFAULT_TURN_RETENTION_MS);
    this.leaseMs = positiveMs(options.leaseMs, 'leaseMs', DEFAULT_TURN_LEASE_MS);
    this.#scheduler = options.scheduler ?? defaultScheduler;
  }

  // While a turn runs, its log outlives its lease: a follower then still finds it and ends it as interrupted.
  private get keepMs(): number {
    return this.retentionMs + this.leaseMs;
  }

  /** How many turns this process is running. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Starts a turn: subscribes to `events` (once) and writes each event to the log, whoever reads it.
   * Only `stop()`, the end of `events`, its error or `close()` end it; readers leaving never do.
   */
  async start(events: () => Observable<AgentEvent>, options: StartTurnOptions = {}): Promise<RunningTurn> {
    const turnId = options.turnId ?? randomId();
    const describe = options.describeError ?? defaultDescribe;
    let created: boolean;
    try {
      created = await this.store.create(turnId, this.owner, this.leaseMs, this.keepMs, options.meta);
    } catch (error) {
      throw storeError(turnId, 'create', error);
    }
    if (!created) {
      throw new ConnectlyTurnLogError({
        reason: 'exists',
        turnId,
        message: `A turn with the id ${turnId} already exists: give each turn its own id (or leave it out)`,
      });
    }
    let writes: Promise<unknown> = Promise.resolve();
    let ended: TurnEndReason | undefined;
    // Filled once subscribed; unsubscribing it first (a turn that ends at once) unsubscribes what is added later.
    const subscription = new Subscription();
    let heartbeat: unknown;
    let resolveEnded!: (reason: TurnEndReason) => void;
    const endedPromise = new Promise<TurnEndReason>((resolve) => (resolveEnded = resolve));

    // Ends the turn once: stops reading the agent, then writes the end entry after the pending events.
    // `write: false` when the store says the turn is no longer ours (ended elsewhere, or lease lost).
    const finish = (reason: TurnEndReason, error?: TurnErrorData, write = true): Promise<TurnEndReason> => {
      if (ended !== undefined) return endedPromise;
      ended = reason;
      this.#scheduler.clearTimeout(heartbeat);
      subscription.unsubscribe();
      writes = writes
        .then(() => (write ? this.store.end(turnId, reason, encodeEnd(reason, error), this.retentionMs) : undefined))
        .catch(() => undefined) // the store is unreachable: followers see the lease run out (interrupted)
        .then(() => {
          this.#running.delete(turnId); // kept until now, so close() waits for the end entry
          resolveEnded(reason);
        });
      return endedPromise;
    };
    this.#running.set(turnId, finish);

    const beat = (): void => {
      heartbeat = this.#scheduler.setTimeout(() => {
        this.store.heartbeat(turnId, this.owner, this.leaseMs, this.keepMs).then(
          (state) => {
            if (ended !== undefined) return;
            if (state === 'stop') void finish('stopped');
            else if (state === 'lost') void finish('interrupted', TURN_INTERRUPTED, false);
            else beat();
          },
          () => ended === undefined && beat(), // a blip: the lease outlasts a few missed beats
        );
      }, this.leaseMs / 3);
    };
    beat();

    subscription.add(
      defer(events).subscribe({
        next: (event) => {
          if (ended !== undefined) return;
          // Events that arrived before the end are written before the end entry, in order.
          const entry = JSON.stringify({ event });
          writes = writes.then(async () => {
            try {
              // 0: the turn was ended by another process (a follower found its lease run out).
              if ((await this.store.append(turnId, entry)) === 0) void finish('interrupted', TURN_INTERRUPTED, false);
            } catch {
              void finish('interrupted', TURN_INTERRUPTED, false);
            }
          });
        },
        error: (error: unknown) =>
          void (error instanceof ConnectlyAbortError
            ? finish('interrupted', TURN_INTERRUPTED)
            : finish('failed', describe(error))),
        complete: () => void finish('completed'),
      }),
    );
    return { turnId, ended: endedPromise };
  }

  /**
   * Asks a turn to stop, wherever it runs: at once in this process, at its next heartbeat in another.
   * Resolves false when the turn is unknown or has already ended.
   */
  async stop(turnId: string): Promise<boolean> {
    const local = this.#running.get(turnId);
    if (local !== undefined) {
      void local('stopped');
      return true;
    }
    try {
      return await this.store.requestStop(turnId);
    } catch (error) {
      throw storeError(turnId, 'stop', error);
    }
  }

  /**
   * The turn's items after `afterId` (0: from the start): the logged ones, then the live ones, then the
   * end item, and completes. Errors with a ConnectlyTurnLogError when the turn is unknown or past its
   * retention. When the process running the turn died, the turn ends here as `interrupted`.
   */
  follow(turnId: string, afterId = 0, options: FollowOptions = {}): Observable<TurnLogItem> {
    return new Observable<TurnLogItem>((subscriber) => {
      let last = afterId;
      let closed = false;
      let busy = false;
      let again = false;
      let check: unknown;
      let unsubscribe: (() => void) | undefined;

      const pump = async (): Promise<void> => {
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        try {
          do {
            again = false;
            const snapshot = await this.store.read(turnId, last, READ_BATCH);
            if (closed) return;
            if (snapshot === undefined) {
              subscriber.error(
                new ConnectlyTurnLogError({
                  reason: 'not-found',
                  turnId,
                  message:
                    `The reply ${turnId} is not available: it never existed, or it ended more than ` +
                    `${Math.round(this.retentionMs / 1000)} s ago and is no longer kept. Send the message again`,
                }),
              );
              return;
            }
            for (const entry of snapshot.entries) {
              if (options.ready !== undefined) {
                await options.ready();
                if (closed) return;
              }
              last += 1;
              const item = decode(entry, last);
              subscriber.next(item);
              if ('end' in item) {
                subscriber.complete();
                return;
              }
              if (closed) return;
            }
            if (snapshot.end !== undefined && snapshot.entries.length === 0) {
              subscriber.complete(); // resumed at (or after) the end: nothing is left
              return;
            }
            if (snapshot.entries.length === READ_BATCH) again = true;
            else if (snapshot.end === undefined && !snapshot.owned) {
              // The watchdog: no process holds the turn any more and it has no end. Write one, once for all readers.
              await this.store.end(turnId, 'interrupted', encodeEnd('interrupted', TURN_INTERRUPTED), this.retentionMs);
              again = true;
            }
          } while (again && !closed);
        } catch (error) {
          if (!closed) subscriber.error(storeError(turnId, 'read', error));
        } finally {
          busy = false;
        }
      };

      const watch = (): void => {
        check = this.#scheduler.setTimeout(() => {
          void pump();
          if (!closed) watch();
        }, this.leaseMs / 2);
      };
      watch();
      this.store
        .subscribe(turnId, () => void pump())
        .then(
          (stop) => {
            if (closed) stop();
            else unsubscribe = stop;
            void pump();
          },
          (error: unknown) => subscriber.error(storeError(turnId, 'follow', error)),
        );
      return () => {
        closed = true;
        this.#scheduler.clearTimeout(check);
        unsubscribe?.();
      };
    });
  }

  /** The `meta` the turn was started with; undefined when it had none, is unknown or past its retention. */
  async meta(turnId: string): Promise<string | undefined> {
    try {
      return (await this.store.read(turnId, 0, 1))?.meta;
    } catch (error) {
      throw storeError(turnId, 'read', error);
    }
  }

  /** Ends every turn this process runs as `interrupted` (its readers learn it at once), for shutdown. */
  async close(): Promise<void> {
    await Promise.all([...this.#running.values()].map((finish) => finish('interrupted', TURN_INTERRUPTED)));
  }
}
