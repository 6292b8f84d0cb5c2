// The turn lock one process holds on a customer's conversation in the session store: acquired by polling,
// renewed by a heartbeat while held, confirmed before each request; and every store call under the store
// time limit (a plain MemorySessionStore, which answers in this process, without the timer), its failure
// wrapped in a ConnectlySessionStoreError that says what it cost.

import { ConnectlySessionStoreError } from '../errors/errors.js';
import type { CallDefaults } from '../http/options.js';
import { type Scheduler, randomId, sleep } from '../http/platform.js';
import { answersInProcess } from './memory-session-store.js';
import type { SessionSettings } from './session-store.js';

/** The session settings with the client's timers and call limits. */
export type Settings = SessionSettings & { scheduler: Scheduler; callDefaults: CallDefaults };

// Waiting for another process's lock: first retry soon (turns are short), then at most every 100 ms.
const LOCK_POLL_FIRST_MS = 5;
const LOCK_POLL_MAX_MS = 100;

// A lock's owner: unique to this process (a random prefix) and to the turn (a counter), without
// drawing a random id per turn.
const OWNER_PREFIX = randomId();
let owners = 0;

/** A new owner for one step's lock. */
export const leaseOwner = (): string => `${OWNER_PREFIX}:${(owners += 1)}`;

/** What a step's waits are aborted by: its `signal`, which a turn makes only when something asks for it. */
export interface Aborts {
  readonly signal: AbortSignal;
}

/** The turn lock one process holds on a customer's conversation, kept alive while held. */
export class Lease {
  // Until when (by this process's clock, measured before asking) the store promised the lock.
  private validUntil = 0;
  private stopBeat: (() => void) | undefined;

  constructor(
    private readonly settings: Settings,
    readonly key: string,
    private readonly owner: string,
  ) {}

  /** Waits until the lock is ours; rejects if `aborts.signal` aborts first. */
  async acquire(aborts: Aborts): Promise<void> {
    const { store, leaseMs } = this.settings;
    for (let attempt = 0; ; attempt += 1) {
      const asked = Date.now();
      let locked: boolean;
      try {
        locked = await storeStep(this.settings, 'lock', false, () => store.lock(this.key, this.owner, leaseMs));
      } catch (error) {
        // The lock may still be taken once a stuck store answers: asked right behind it, the release
        // frees it then, not a lease later. Nobody waits for that answer.
        void Promise.resolve()
          .then(() => store.unlock(this.key, this.owner))
          .catch(() => undefined);
        throw error;
      }
      if (locked) {
        this.validUntil = asked + leaseMs;
        this.beat();
        return;
      }
      const pause = Math.min(LOCK_POLL_MAX_MS, LOCK_POLL_FIRST_MS * 2 ** attempt);
      await sleep(pause / 2 + Math.random() * (pause / 2), aborts.signal, this.settings.scheduler);
    }
  }

  /**
   * Called right before each request to Connectly: proves the lock is still ours for at least two
   * thirds of the lease, renewing it when a third has gone by. Throws (and nothing may be sent) when
   * it is not, or when the store took so long to renew that less is left.
   */
  async confirm(): Promise<void> {
    const { leaseMs } = this.settings;
    if (Date.now() < this.validUntil - (leaseMs * 2) / 3) return;
    const asked = Date.now();
    const held = await this.renew();
    if (held && Date.now() >= this.validUntil - (leaseMs * 2) / 3) {
      throw new ConnectlySessionStoreError({
        operation: 'renew',
        sent: false,
        message:
          `The session store took ${Date.now() - asked} ms to renew the lock on this conversation (lease ${leaseMs} ms), ` +
          'too long to count on the lock for the request: nothing was sent to Connectly. Check that the store is not ' +
          'overloaded, or raise the sessionLeaseMs option',
      });
    }
    if (!held) {
      throw new ConnectlySessionStoreError({
        operation: 'renew',
        sent: false,
        message:
          `The lock on this conversation expired before the turn was sent (lease ${leaseMs} ms): nothing was sent to ` +
          'Connectly. Raise the sessionLeaseMs option if this process can pause that long',
      });
    }
  }

  async release(sent: boolean): Promise<void> {
    this.stopBeat?.();
    this.stopBeat = undefined;
    await storeStep(this.settings, 'unlock', sent, () => this.settings.store.unlock(this.key, this.owner));
  }

  private async renew(): Promise<boolean> {
    const asked = Date.now();
    const held = await storeStep(this.settings, 'renew', false, () =>
      this.settings.store.renew(this.key, this.owner, this.settings.leaseMs),
    );
    if (held) this.validUntil = asked + this.settings.leaseMs;
    return held;
  }

  // Keeps a long turn's lock: renewed every third of the lease. A failed renewal is not fatal here
  // (the reply already on its way is still delivered); `confirm` refuses the next send instead.
  private beat(): void {
    const { scheduler } = this.settings;
    const timer = scheduler.setTimeout(() => {
      this.renew().then(
        (held) => {
          if (held && this.stopBeat) this.beat();
        },
        () => undefined,
      );
    }, this.settings.leaseMs / 3);
    this.stopBeat = () => scheduler.clearTimeout(timer);
  }
}

/** What a store call that did not answer in time rejects with, inside `storeStep`. */
class StoreStuck extends Error {}

/**
 * Runs one store step under the store time limit; a failure, or no answer within
 * `sessionStoreTimeoutMs`, becomes a ConnectlySessionStoreError that says what it cost. A
 * MemorySessionStore answers in this process without waiting on anything, so its steps run without
 * the time limit's timer and race.
 */
export async function storeStep<T>(
  settings: Settings,
  operation: string,
  sent: boolean,
  step: () => Promise<T>,
): Promise<T> {
  if (answersInProcess(settings.store, operation)) {
    try {
      return await step();
    } catch (error) {
      throw storeFailure(settings, operation, sent, error);
    }
  }
  const { scheduler, storeTimeoutMs } = settings;
  let timer: unknown;
  const stuck = new Promise<never>((_, reject) => {
    timer = scheduler.setTimeout(() => reject(new StoreStuck()), storeTimeoutMs);
  });
  const answer = Promise.resolve().then(step);
  answer.catch(() => undefined); // an answer after the time limit is no one's to handle
  try {
    return await Promise.race([answer, stuck]);
  } catch (error) {
    throw storeFailure(settings, operation, sent, error);
  } finally {
    scheduler.clearTimeout(timer);
  }
}

/** A store step's failure as a ConnectlySessionStoreError that says what it cost and what to check. */
function storeFailure(
  settings: Settings,
  operation: string,
  sent: boolean,
  error: unknown,
): ConnectlySessionStoreError {
  const { storeTimeoutMs } = settings;
  const why =
    error instanceof StoreStuck
      ? `no answer within ${storeTimeoutMs} ms`
      : error instanceof Error
        ? error.message || error.name
        : String(error);
  return new ConnectlySessionStoreError({
    operation,
    sent,
    ...(error instanceof StoreStuck ? {} : { cause: error }),
    message:
      `The session store failed (${operation}: ${why}): ` +
      (sent
        ? "Connectly received this turn and its reply was delivered, but the conversation's state may be stale"
        : 'nothing was sent to Connectly') +
      '. Check that the store is reachable' +
      (error instanceof StoreStuck ? ' and answering (raise sessionStoreTimeoutMs if it is only slow)' : ''),
  });
}
