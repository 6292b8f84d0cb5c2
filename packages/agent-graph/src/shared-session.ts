// Conversations kept in a SessionStore: every process sharing the store continues one Connectly session
// per customer. In one process a customer's turns queue up, and input that arrives while a turn runs
// goes out together as the next turn; across processes a lock with a lease keeps turns from overlapping.

import { Observable, type Subscriber, firstValueFrom, lastValueFrom, throwError } from 'rxjs';
import {
  ConnectlyAbortError,
  ConnectlyApiError,
  ConnectlySessionStoreError,
  ConnectlyValidationError,
} from './errors.js';
import type { AgentEvent } from './events.js';
import { answersInProcess } from './memory-session-store.js';
import { toReply } from './operators.js';
import { type CallDefaults, type CallOptions, resolveCallSettings } from './options.js';
import { type Scheduler, holdProcess, randomId, sleep } from './platform.js';
import type { AgentReply } from './reply.js';
import { type SessionSettings, type StoredSession, sessionKey } from './session-store.js';
import {
  type AgentSession,
  type SessionClient,
  type SessionOptions,
  type TurnInput,
  closedError,
  toInputEvents,
} from './session.js';
import { joinTurnEvents, requireString } from './validate.js';
import { RpcCode, type InputEvent } from './wire.js';
import { toAsyncIterable, toReadableStream } from './iterate.js';

/** The session settings with the client's timers and call limits. */
type Settings = SessionSettings & { scheduler: Scheduler; callDefaults: CallDefaults };

// Waiting for another process's lock: first retry soon (turns are short), then at most every 100 ms.
const LOCK_POLL_FIRST_MS = 5;
const LOCK_POLL_MAX_MS = 100;

// A lock's owner: unique to this process (a random prefix) and to the turn (a counter), without
// drawing a random id per turn.
const OWNER_PREFIX = randomId();
let owners = 0;
const leaseOwner = (): string => `${OWNER_PREFIX}:${(owners += 1)}`;

/** Who the session is for, as sent to Connectly. */
interface Party {
  clientKey: string;
  businessId?: string;
  agentId?: string;
}

interface Caller {
  inputEvents: InputEvent[];
  subscriber: Subscriber<AgentEvent>;
  /** Told which session carried the turn, before it completes. */
  carriedBy(sessionId: string): void;
}

/** What a step's waits are aborted by: its `signal`, which a turn makes only when something asks for it. */
interface Aborts {
  readonly signal: AbortSignal;
}

/** One turn: the callers whose input it carries, and the reply they share. */
class Turn implements Aborts {
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
interface Task {
  endpoint: 'init' | 'close';
  run(lease: Lease, signal: AbortSignal): Promise<void>;
  signal: AbortSignal | undefined;
  fail(error: unknown): void;
}

type Step = Turn | Task;

/** The turn lock one process holds on a customer's conversation, kept alive while held. */
class Lease {
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
async function storeStep<T>(settings: Settings, operation: string, sent: boolean, step: () => Promise<T>): Promise<T> {
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

function isSessionGone(error: unknown): boolean {
  return error instanceof ConnectlyApiError && error.code === RpcCode.NOT_FOUND;
}

/** One customer's conversation in this process: the steps waiting for it, run one at a time. */
class Conversation {
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

/** The conversations of one client: one entry per customer with work in progress in this process. */
export class SharedConversations {
  readonly #active = new Map<string, Conversation>();
  readonly #idleWaiters: Array<() => void> = [];

  readonly settings: Settings;

  constructor(
    sessions: SessionSettings,
    private readonly businessId: string,
    scheduler: Scheduler,
    callDefaults: CallDefaults,
  ) {
    this.settings = { ...sessions, scheduler, callDefaults };
  }

  open(via: SessionClient, options: SessionOptions): SharedSession {
    if (typeof options !== 'object' || options === null) {
      throw new ConnectlyValidationError('options', "session() needs { clientKey }: the customer's id in your system");
    }
    const clientKey = requireString(options.clientKey, 'clientKey', "the customer's id in your system");
    if (options.sessionId !== undefined) {
      throw new ConnectlyValidationError(
        'sessionId',
        'With a sessionStore the session is found by clientKey: drop `sessionId` (the store keeps it)',
      );
    }
    const businessId = options.businessId === undefined ? undefined : requireString(options.businessId, 'businessId');
    const agentId = options.agentId === undefined ? undefined : requireString(options.agentId, 'agentId');
    const party: Party = {
      clientKey,
      ...(businessId === undefined ? {} : { businessId }),
      ...(agentId === undefined ? {} : { agentId }),
    };
    return new SharedSession(this, via, party, sessionKey(businessId ?? this.businessId, clientKey));
  }

  /** Resolves once no conversation has a turn in progress or queued here (every lock released). */
  idle(): Promise<void> {
    if (this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** The customer's conversation in this process; dropped again once it has nothing left to do. */
  conversation(key: string): Conversation {
    let conversation = this.#active.get(key);
    if (!conversation) {
      const created = new Conversation(this.settings, key, () => {
        if (this.#active.get(key) === created) this.#active.delete(key);
        if (this.#active.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      });
      conversation = created;
      this.#active.set(key, conversation);
    }
    return conversation;
  }
}

/**
 * A conversation kept in the client's session store. Any number of these objects, in any number of
 * processes sharing the store, continue the same Connectly session for one customer.
 */
export class SharedSession implements AgentSession {
  readonly clientKey: string;
  #sessionId: string | undefined;
  #closed = false;

  constructor(
    private readonly conversations: SharedConversations,
    private readonly via: SessionClient,
    private readonly party: Party,
    private readonly key: string,
  ) {
    this.clientKey = party.clientKey;
  }

  /** The session id this object last used (another process may have renewed it since). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Finds the customer's session in the store, or starts one; resolves with its id. */
  start(options?: CallOptions): Promise<string> {
    if (this.#closed) return Promise.reject(closedError());
    return new Promise<string>((resolve, reject) => {
      const conversation = this.conversations.conversation(this.key);
      conversation.queue({
        endpoint: 'init',
        signal: options?.signal,
        fail: reject,
        run: async (lease, signal) => {
          const session = await conversation.find(this.via, this.party, lease, { signal });
          this.#sessionId = session.sessionId;
          resolve(session.sessionId);
        },
      });
    });
  }

  send(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.turn('invoke', input, options);
  }

  // What a log shows: never the client or the store (a store's connection options may hold a password).
  toJSON(): Record<string, unknown> {
    return { clientKey: this.clientKey, sessionId: this.#sessionId, closed: this.#closed };
  }

  stream(input: TurnInput, options?: CallOptions): AsyncIterable<AgentEvent> {
    return toAsyncIterable(this.send(input, options));
  }

  readableStream(input: TurnInput, options?: CallOptions): ReadableStream<AgentEvent> {
    return toReadableStream(this.send(input, options));
  }

  reply(input: TurnInput, options?: CallOptions): Promise<AgentReply> {
    return lastValueFrom(this.send(input, options).pipe(toReply()));
  }

  sendSync(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.turn('invoke_sync', input, options);
  }

  /**
   * Closes the session on Connectly and removes it from the store, after the turns already queued in
   * this process. The next turn for this customer (from another object) starts a new session.
   */
  close(options?: CallOptions): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise<void>((resolve, reject) => {
      this.conversations.conversation(this.key).queue({
        endpoint: 'close',
        signal: options?.signal,
        fail: reject,
        run: async (lease, signal) => {
          const { store } = this.conversations.settings;
          const stored = await storeStep(this.conversations.settings, 'get', false, () => store.get(this.key));
          if (stored) {
            await lease.confirm();
            const request = {
              clientKey: this.party.clientKey,
              sessionId: stored.sessionId,
              ...(this.party.businessId === undefined ? {} : { businessId: this.party.businessId }),
            };
            try {
              await firstValueFrom(this.via.close(request, { ...options, signal }));
            } catch (error) {
              if (!isSessionGone(error)) throw error; // already gone on Connectly: forget it here too
            }
            await storeStep(this.conversations.settings, 'delete', true, () =>
              store.delete(this.key, stored.sessionId),
            );
          }
          resolve();
        },
      });
    });
  }

  // Never throws: bad input, a closed session or bad options reach the subscriber as an error.
  private turn(endpoint: Turn['endpoint'], input: TurnInput, options: CallOptions | undefined): Observable<AgentEvent> {
    let inputEvents: InputEvent[];
    try {
      if (this.#closed) throw closedError();
      inputEvents = toInputEvents(input);
      this.check(options);
    } catch (error) {
      return throwError(() => error);
    }
    return new Observable<AgentEvent>((subscriber) => {
      const signal = options?.signal;
      if (signal?.aborted) {
        subscriber.error(new ConnectlyAbortError(endpoint));
        return undefined;
      }
      const caller: Caller = {
        inputEvents,
        subscriber,
        carriedBy: (sessionId) => (this.#sessionId = sessionId),
      };
      // Held while the turn waits for the conversation's lock as well as while its call runs.
      const release = holdProcess();
      const turn = this.conversations.conversation(this.key).join(endpoint, this.via, this.party, options, caller);
      const onAbort = (): void => subscriber.error(new ConnectlyAbortError(endpoint));
      signal?.addEventListener('abort', onAbort, { once: true });
      return () => {
        release();
        signal?.removeEventListener('abort', onAbort);
        turn.leave(caller);
      };
    });
  }

  // The checks the client makes of a turn's options, made now: a bad value fails before the turn is
  // queued, rather than once the lock is held.
  private check(options: CallOptions | undefined): void {
    resolveCallSettings(options, this.conversations.settings.callDefaults);
  }
}
