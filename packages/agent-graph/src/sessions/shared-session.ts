// Conversations kept in a SessionStore: every process sharing the store continues one Connectly session
// per customer. Here the registry of this process's conversations and the session object callers hold;
// the queue of each customer (customer-queue.ts), the shared turn (coalesced-turn.ts) and the store lock
// (store-lease.ts) beside it.

import { Observable, firstValueFrom, throwError } from 'rxjs';
import { ConnectlyAbortError, ConnectlyValidationError } from '../errors/errors.js';
import type { AgentEvent } from '../wire/events.js';
import { TurnViews } from '../agent/turn-views.js';
import { type CallDefaults, type CallOptions, resolveCallSettings } from '../http/options.js';
import { type Scheduler, holdProcess } from '../http/platform.js';
import { type SessionSettings, sessionKey } from './session-store.js';
import {
  type AgentSession,
  type SessionClient,
  type SessionOptions,
  type TurnInput,
  closedError,
  toInputEvents,
} from './session.js';
import { requireString } from '../decoding/validate.js';
import type { InputEvent } from '../wire/api.js';
import type { Caller, Party, Turn } from './coalesced-turn.js';
import { Conversation, isSessionGone } from './customer-queue.js';
import { type Settings, storeStep } from './store-lease.js';

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
export class SharedSession extends TurnViews<TurnInput, CallOptions> implements AgentSession {
  readonly clientKey: string;
  #sessionId: string | undefined;
  #closed = false;

  constructor(
    private readonly conversations: SharedConversations,
    private readonly via: SessionClient,
    private readonly party: Party,
    private readonly key: string,
  ) {
    super();
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

  sendSync(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.turn('invoke_sync', input, options);
  }

  /** `stream`, `readableStream` and `reply` are the turn of `send`. */
  protected override turnEvents(input: TurnInput, options?: CallOptions): Observable<AgentEvent> {
    return this.send(input, options);
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
