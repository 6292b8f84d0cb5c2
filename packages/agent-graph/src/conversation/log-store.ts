// A ConversationStore over an append-only log: each change is one record appended, and the state is the
// fold of the log in its order. For fleets whose only shared store is such a log (n8n's chat memories).

import { randomUUID } from 'node:crypto';
import type { StoredSession } from '../sessions/session-store.js';
import { type Mutation, type MutationArgs, type MutationResult, Replay, encodeRecord, foldLog } from './log-fold.js';
import type { MemoryConversationStore } from './memory-store.js';
import type {
  AutomatedSend,
  ConversationHold,
  ConversationStore,
  DeliveryClaimState,
  InboxEntry,
  OfferedChoices,
  Outbox,
  OutboxOpened,
  OutboxToOpen,
} from './store.js';

/** An append-only log every process sees in one order (e.g. a Redis list, n8n's Redis Chat Memory). */
export interface ConversationLog {
  /** Appends one record after every record appended before it. */
  append(record: string): Promise<void>;
  /** Every record, oldest first. */
  read(): Promise<readonly string[]>;
}

export interface LogConversationStoreOptions {
  /** Replaces the clock (ms since the epoch) that stamps this store's records and judges its reads. */
  now?: () => number;
}

/**
 * A ConversationStore kept in an append-only log that every process sees in one order, for a fleet whose
 * only shared store offers nothing else: no compare-and-set, no delete (e.g. a Redis list written with
 * LPUSH and read with LRANGE, as n8n's Redis Chat Memory does). Any number of conversations and
 * deliveries share one log; whatever else is in it (a chat memory's own messages, records of another
 * version) is skipped.
 *
 * How: every call that changes something appends one record (the call, its arguments, this store's clock
 * and a random nonce), then reads the log and replays it through the reference store
 * (MemoryConversationStore), in log order, up to its own record: what that record did there is the call's
 * answer. Every process replays the same records in the same order, so all agree on each answer: of two
 * racing claims, the one appended first wins. Reads replay the whole log and answer at this store's clock.
 *
 * Clocks: a change is judged at the `at` its writer stamped (whether a lease or TTL had run out when it
 * was appended), a read at the reader's own clock. [INFERRED] This relies on the clocks of the processes
 * sharing a log being close: a writer whose clock runs ahead sees leases run out early and may take over
 * a delivery still being handled; keep them synchronised (NTP) well within the shortest lease.
 *
 * Cost and limits:
 * - every call reads and replays the whole log: O(records) time and memory per call, and every call that
 *   changes something (a refused claim or a renewal too) adds a record;
 * - the log never shrinks by itself: give the backing log an expiry of its own (e.g. Redis Chat Memory's
 *   Session TTL) longer than the longest TTL used here (a handover hold: a day by default). When the log
 *   expires, everything in it is forgotten at once: a held conversation goes back to the agent, a
 *   delivery answered before may be answered again, sessions start anew. A TTL renewed on each append
 *   (Redis Chat Memory's is) forgets the log only once it stood idle that long: a log in constant use
 *   keeps growing, and every call slows with it;
 * - "the earliest record wins" needs one total order that never changes once read. A Redis list on one
 *   primary has it. A table ordered by a SERIAL id (e.g. Postgres Chat Memory) does not quite: ids are
 *   taken before commit, so a record with a smaller id can become visible after one with a larger id was
 *   read. In that small window two racing claims can both win.
 *
 * `read()` must return every record, not a window of the newest (as a chat memory's context window
 * would): a read that does not return the record just appended (a lagging replica, a log trimmed
 * meanwhile) rejects with ConversationLogError. A record appended twice (a retried append) takes effect
 * once. Arguments the reference store refuses are refused before anything is appended.
 */
export class LogConversationStore implements ConversationStore {
  readonly #log: ConversationLog;
  readonly #now: () => number;

  constructor(log: ConversationLog, options: LogConversationStoreOptions = {}) {
    this.#log = log;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): Promise<StoredSession | undefined> {
    return this.read((state) => state.get(key));
  }

  set(key: string, session: StoredSession, ttlMs: number): Promise<void> {
    return this.write('set', key, session, ttlMs);
  }

  delete(key: string, sessionId: string): Promise<void> {
    return this.write('delete', key, sessionId);
  }

  lock(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.write('lock', key, owner, leaseMs);
  }

  renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.write('renew', key, owner, leaseMs);
  }

  unlock(key: string, owner: string): Promise<void> {
    return this.write('unlock', key, owner);
  }

  claimDelivery(id: string, options: { token: string; leaseMs: number }): Promise<DeliveryClaimState> {
    return this.write('claimDelivery', id, options);
  }

  deliveryState(id: string): Promise<Exclude<DeliveryClaimState, 'claimed'> | undefined> {
    return this.read((state) => state.deliveryState(id));
  }

  renewDelivery(id: string, options: { token: string; leaseMs: number }): Promise<boolean> {
    return this.write('renewDelivery', id, options);
  }

  completeDelivery(id: string, options: { token: string; keepMs: number }): Promise<boolean> {
    return this.write('completeDelivery', id, options);
  }

  releaseDelivery(id: string, options: { token: string }): Promise<boolean> {
    return this.write('releaseDelivery', id, options);
  }

  setHold(key: string, hold: { by: string; reason: string }, options: { ttlMs: number }): Promise<ConversationHold> {
    return this.write('setHold', key, hold, options);
  }

  getHold(key: string): Promise<ConversationHold | undefined> {
    return this.read((state) => state.getHold(key));
  }

  clearHold(key: string): Promise<boolean> {
    return this.write('clearHold', key);
  }

  recordChoices(key: string, offer: OfferedChoices, options: { keep: number; ttlMs: number }): Promise<void> {
    return this.write('recordChoices', key, offer, options);
  }

  findChoices(key: string, messageId?: string): Promise<OfferedChoices | undefined> {
    return this.read((state) => state.findChoices(key, messageId));
  }

  noteInbound(key: string, at: number, options: { ttlMs: number }): Promise<number> {
    return this.write('noteInbound', key, at, options);
  }

  lastInbound(key: string): Promise<number | undefined> {
    return this.read((state) => state.lastInbound(key));
  }

  recordSend(key: string, send: AutomatedSend, options: { keep: number; ttlMs: number }): Promise<void> {
    return this.write('recordSend', key, send, options);
  }

  matchEcho(key: string, echo: AutomatedSend): Promise<boolean> {
    return this.write('matchEcho', key, echo);
  }

  appendInbox(key: string, entry: InboxEntry, options: { ttlMs: number }): Promise<boolean> {
    return this.write('appendInbox', key, entry, options);
  }

  readInbox(key: string): Promise<InboxEntry[]> {
    return this.read((state) => state.readInbox(key));
  }

  ackInbox(key: string, ids: readonly string[]): Promise<number> {
    return this.write('ackInbox', key, ids);
  }

  pendingInboxes(limit: number): Promise<string[]> {
    return this.read((state) => state.pendingInboxes(limit));
  }

  openOutbox(key: string, outbox: OutboxToOpen, options: { keepMs: number }): Promise<OutboxOpened> {
    return this.write('openOutbox', key, outbox, options);
  }

  readOutbox(key: string): Promise<Outbox | undefined> {
    return this.read((state) => state.readOutbox(key));
  }

  markOutbox(
    key: string,
    options: { token: string; index: number; state: 'sending' | 'sent'; sender: string },
  ): Promise<boolean> {
    return this.write('markOutbox', key, options);
  }

  closeOutbox(key: string, options: { token: string }): Promise<boolean> {
    return this.write('closeOutbox', key, options);
  }

  /** Appends the call, then answers what it did at its place in the log. */
  private async write<M extends Mutation>(op: M, key: string, ...args: MutationArgs<M>): Promise<MutationResult<M>> {
    const at = this.#now();
    // On an empty store: refuses bad arguments (ConnectlyValidationError) before anything is appended.
    await new Replay().at(at).apply(op, key, args);
    const nonce = randomUUID();
    await this.#log.append(encodeRecord({ op, key, args, at, nonce }));
    return (await foldLog(await this.#log.read(), new Replay(), nonce)) as MutationResult<M>;
  }

  /** Answers `ask` on the state of the whole log, at this store's clock. */
  private async read<T>(ask: (state: MemoryConversationStore) => Promise<T>): Promise<T> {
    // On an empty store first: refuses bad arguments before the log is read.
    await ask(new Replay().state);
    const replay = new Replay();
    await foldLog(await this.#log.read(), replay);
    return ask(replay.at(this.#now()).state);
  }
}
