// One customer's conversation in this process: its steps (turns, start, close) queued and run one at a
// time under the store's lock; the session found in the store or started, and renewed once when Connectly
// no longer knows it, before anything of the turn was processed.

import { firstValueFrom } from 'rxjs';
import { ConnectlyAbortError, ConnectlyApiError } from '../errors/errors.js';
import type { CallOptions } from '../http/options.js';
import { type InputEvent, RpcCode } from '../wire/api.js';
import { type Caller, type Party, type Step, type Task, Turn } from './coalesced-turn.js';
import type { StoredSession } from './session-store.js';
import type { SessionClient } from './session.js';
import { type Aborts, Lease, type Settings, leaseOwner, storeStep } from './store-lease.js';

/** Connectly no longer knows the session (closed, or expired on its side). */
export function isSessionGone(error: unknown): boolean {
  return error instanceof ConnectlyApiError && error.code === RpcCode.NOT_FOUND;
}

/** One customer's conversation in this process: the steps waiting for it, run one at a time. */
export class Conversation {
  private readonly steps: Step[] = [];
  private current: Step | undefined;

  constructor(
    private readonly settings: Settings,
    readonly key: string,
    private readonly onIdle: () => void,
  ) {}

  /** Adds a caller to the turn that will carry its input: the one still open, or a new one. */
  join(
    endpoint: Turn['endpoint'],
    via: SessionClient,
    party: Party,
    options: CallOptions | undefined,
    caller: Caller,
  ): Turn {
    const last = this.steps.at(-1) ?? this.current;
    let turn = last instanceof Turn && last.accepts(endpoint, via, party, options) ? last : undefined;
    if (!turn) {
      turn = new Turn(endpoint, via, party, {
        ...(options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options?.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
      });
      this.steps.push(turn);
    }
    turn.callers.push(caller);
    this.pump();
    return turn;
  }

  queue(task: Task): void {
    this.steps.push(task);
    this.pump();
  }

  private pump(): void {
    if (this.current) return;
    const step = this.steps.shift();
    if (!step) {
      this.onIdle();
      return;
    }
    this.current = step;
    const done = (): void => {
      this.current = undefined;
      this.pump();
    };
    void (step instanceof Turn ? this.runTurn(step) : this.runTask(step)).then(done, done);
  }

  private async runTask(task: Task): Promise<void> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(new ConnectlyAbortError(task.endpoint));
    if (task.signal?.aborted) onAbort();
    else task.signal?.addEventListener('abort', onAbort, { once: true });
    const lease = new Lease(this.settings, this.key, leaseOwner());
    try {
      await lease.acquire(controller);
    } catch (error) {
      task.signal?.removeEventListener('abort', onAbort);
      task.fail(error);
      return;
    }
    try {
      await task.run(lease, controller.signal);
      await lease.release(task.endpoint === 'close');
    } catch (error) {
      await lease.release(false).catch(() => undefined); // the lease runs out by itself
      task.fail(error);
    } finally {
      task.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async runTurn(turn: Turn): Promise<void> {
    if (turn.callers.length === 0) return;
    const lease = new Lease(this.settings, this.key, leaseOwner());
    let sent = false;
    try {
      await lease.acquire(turn);
    } catch (error) {
      turn.end({ error });
      return;
    }
    let failure: unknown;
    let sessionId: string | undefined;
    try {
      if (turn.callers.length === 0) return;
      let session = await this.find(turn.via, turn.party, lease, turn);
      const inputEvents = turn.seal();
      let renewed = false;
      for (;;) {
        let delivered = 0;
        try {
          await lease.confirm();
          sent = true;
          await this.stream(turn, session.sessionId, inputEvents, () => (delivered += 1));
          break;
        } catch (error) {
          // Connectly no longer knows the session and has not answered a single line: nothing was
          // processed, so a new session may take the same turn, once.
          if (renewed || delivered > 0 || !isSessionGone(error)) throw error;
          renewed = true;
          sent = false;
          const gone = session.sessionId;
          await storeStep(this.settings, 'delete', false, () => this.settings.store.delete(this.key, gone));
          session = await this.begin(turn.via, turn.party, lease, turn);
        }
      }
      const kept = session;
      await storeStep(this.settings, 'set', true, () => this.settings.store.set(this.key, kept, this.settings.idleMs));
      sessionId = kept.sessionId;
    } catch (error) {
      failure = error;
    } finally {
      try {
        await lease.release(sent);
      } catch (error) {
        failure ??= error;
      }
    }
    turn.end(failure === undefined && sessionId !== undefined ? { sessionId } : { error: failure });
  }

  /** The customer's session from the store, or a new one. Runs under the lock. */
  async find(via: SessionClient, party: Party, lease: Lease, aborts: Aborts): Promise<StoredSession> {
    const stored = await storeStep(this.settings, 'get', false, () => this.settings.store.get(this.key));
    return stored ?? this.begin(via, party, lease, aborts);
  }

  /** Starts a session on Connectly and stores it. Runs under the lock, so one process at a time. */
  async begin(via: SessionClient, party: Party, lease: Lease, aborts: Aborts): Promise<StoredSession> {
    await lease.confirm();
    const request = {
      clientKey: party.clientKey,
      ...(party.businessId === undefined ? {} : { businessId: party.businessId }),
    };
    const { sessionId } = await firstValueFrom(via.init(request, { signal: aborts.signal }));
    const session = { sessionId, startedAt: Date.now() };
    await storeStep(this.settings, 'set', false, () =>
      this.settings.store.set(this.key, session, this.settings.idleMs),
    );
    return session;
  }

  private stream(turn: Turn, sessionId: string, inputEvents: InputEvent[], counted: () => void): Promise<void> {
    const request = {
      clientKey: turn.party.clientKey,
      sessionId,
      inputEvents,
      ...(turn.party.agentId === undefined ? {} : { agentId: turn.party.agentId }),
      ...(turn.party.businessId === undefined ? {} : { businessId: turn.party.businessId }),
    };
    // A turn whose callers all leave stops its call by unsubscribing, which aborts it: no signal needed.
    const options = turn.options;
    const source =
      turn.endpoint === 'invoke' ? turn.via.invoke(request, options) : turn.via.invokeSync(request, options);
    return new Promise((resolve, reject) => {
      if (turn.stopped) {
        reject(turn.stopped);
        return;
      }
      const subscription = source.subscribe({
        next: (event) => {
          counted();
          turn.emit(event);
        },
        error: (error: unknown) => {
          turn.whileRunning(undefined);
          reject(error);
        },
        complete: () => {
          turn.whileRunning(undefined);
          resolve();
        },
      });
      if (subscription.closed) return;
      turn.whileRunning(() => {
        subscription.unsubscribe();
        reject(turn.stopped);
      });
    });
  }
}
