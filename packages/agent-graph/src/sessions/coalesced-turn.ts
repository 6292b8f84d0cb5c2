// One turn of a conversation kept in a store, as the callers of one process share it: input that arrives
// while a turn runs rides on the next one (coalescing), every caller gets the one reply, and a caller who
// leaves takes its input out before it is sent. Also the other steps (start, close) that need the lock.

import type { Subscriber } from 'rxjs';
import { ConnectlyAbortError } from '../errors/errors.js';
import type { CallOptions } from '../http/options.js';
import type { InputEvent } from '../wire/api.js';
import type { AgentEvent } from '../wire/events.js';
import { joinTurnEvents } from '../decoding/validate.js';
import type { SessionClient } from './session.js';
import type { Aborts, Lease } from './store-lease.js';

/** Who the session is for, as sent to Connectly. */
export interface Party {
  clientKey: string;
  businessId?: string;
  agentId?: string;
}

export interface Caller {
  inputEvents: InputEvent[];
  subscriber: Subscriber<AgentEvent>;
  /** Told which session carried the turn, before it completes. */
  carriedBy(sessionId: string): void;
}

/** One turn: the callers whose input it carries, and the reply they share. */
export class Turn implements Aborts {
  readonly callers: Caller[] = [];
  sealed = false;
  // Why the turn stopped (every caller left), once it has.
  stopped: ConnectlyAbortError | undefined;
  // Made on first use: a turn that never waits for a lock or starts a session needs none.
  #controller: AbortController | undefined;
  // Stops the reply's call, while one runs.
  #cancel: (() => void) | undefined;

  constructor(
    readonly endpoint: 'invoke' | 'invoke_sync',
    readonly via: SessionClient,
    readonly party: Party,
    readonly options: { timeoutMs?: number; idleTimeoutMs?: number },
  ) {}

  /** Whether a new caller's input can ride on this turn: not yet sent, and sent the same way. */
  accepts(endpoint: string, via: SessionClient, party: Party, options: CallOptions | undefined): boolean {
    return (
      !this.sealed &&
      this.stopped === undefined &&
      this.endpoint === endpoint &&
      this.via === via &&
      this.party.agentId === party.agentId &&
      this.options.timeoutMs === options?.timeoutMs &&
      this.options.idleTimeoutMs === options?.idleTimeoutMs
    );
  }

  /** A caller left: before the turn is sent its input is taken out; once nobody is left, the turn stops. */
  leave(caller: Caller): void {
    const index = this.callers.indexOf(caller);
    if (index === -1) return;
    this.callers.splice(index, 1);
    if (this.callers.length > 0) return;
    this.stopped = new ConnectlyAbortError(this.endpoint);
    this.#controller?.abort(this.stopped);
    this.#cancel?.();
  }

  /** Aborted once every caller has left. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.stopped) this.#controller.abort(this.stopped);
    }
    return this.#controller.signal;
  }

  /** `cancel` stops the reply's call if every caller leaves while it runs; undefined once it has ended. */
  whileRunning(cancel: (() => void) | undefined): void {
    this.#cancel = cancel;
  }

  /** Fixes the input: from now on new callers go to the next turn. Arrival order is kept. */
  seal(): InputEvent[] {
    this.sealed = true;
    return joinTurnEvents(this.callers.map((caller) => caller.inputEvents));
  }

  emit(event: AgentEvent): void {
    for (const caller of [...this.callers]) caller.subscriber.next(event);
  }

  end(outcome: { sessionId: string } | { error: unknown }): void {
    for (const caller of this.callers.splice(0)) {
      if ('error' in outcome) {
        caller.subscriber.error(outcome.error);
      } else {
        caller.carriedBy(outcome.sessionId);
        caller.subscriber.complete();
      }
    }
  }
}

/** Work that needs the lock but sends no input: starting or closing the session. */
export interface Task {
  endpoint: 'init' | 'close';
  run(lease: Lease, signal: AbortSignal): Promise<void>;
  signal: AbortSignal | undefined;
  fail(error: unknown): void;
}

export type Step = Turn | Task;
