// A ConversationStore for one process: the memory session store plus one bounded Map per kind of record,
// each expiring by the clock on use. A full Map refuses a new record (ConversationStoreFullError) rather
// than forget a live one.

import { MemorySessionStore } from '../sessions/memory-session-store.js';
import { ConversationStoreFullError, checkStoreArguments } from './checks.js';
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

export interface MemoryConversationStoreOptions {
  /**
   * The most records of each kind (delivery claims, holds, and conversations with choices, an inbound
   * time or automated sends) kept at once. Expired records make room first; past it, a new record is
   * refused with ConversationStoreFullError, never made by forgetting a live one. Default 100 000.
   */
  maxEntries?: number;
  /** Replaces the clock (ms since the epoch), e.g. to test expiry without waiting. */
  now?: () => number;
}

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/** Records of one kind, bounded, expired on use. */
class Records<T> {
  readonly #map = new Map<string, Expiring<T>>();

  constructor(
    readonly kind: string,
    readonly max: number,
    readonly now: () => number,
  ) {}

  get(key: string): T | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  expiresAt(key: string): number {
    return this.#map.get(key)?.expiresAt ?? 0;
  }

  set(key: string, value: T, expiresAt: number): void {
    if (!this.#map.has(key) && this.#map.size >= this.max) {
      const now = this.now();
      for (const [k, entry] of this.#map) if (entry.expiresAt <= now) this.#map.delete(k);
      if (this.#map.size >= this.max) throw new ConversationStoreFullError(this.kind, this.max);
    }
    this.#map.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  keys(): string[] {
    return [...this.#map.keys()];
  }
}

interface Claim {
  state: 'processing' | 'done';
  token: string;
}
type Timed<T> = T & { expiresAt: number };
// An outbox as kept: a message being sent is `sending:<sender>`.
type KeptOutbox = Omit<Outbox, 'states'> & { states: string[] };

/** The conversation store of one process: sessions, locks and the loop's records in memory. */
export class MemoryConversationStore extends MemorySessionStore implements ConversationStore {
  /** The most records of each kind kept at once (see {@link MemoryConversationStoreOptions.maxEntries}). */
  readonly maxEntries: number;
  readonly #now: () => number;
  readonly #claims: Records<Claim>;
  readonly #holds: Records<Omit<ConversationHold, 'expiresAt'>>;
  readonly #choices: Records<Array<Timed<OfferedChoices>>>;
  readonly #inbound: Records<number>;
  readonly #sends: Records<Array<Timed<AutomatedSend>>>;
  readonly #inboxes: Records<InboxEntry[]>;
  readonly #outboxes: Records<KeptOutbox>;

  constructor(options: MemoryConversationStoreOptions = {}) {
    super(options.now === undefined ? {} : { now: options.now });
    if (options.maxEntries !== undefined) checkStoreArguments({ keep: options.maxEntries });
    this.maxEntries = options.maxEntries ?? 100_000;
    const now = options.now ?? Date.now;
    this.#now = now;
    this.#claims = new Records('deliveries', this.maxEntries, now);
    this.#holds = new Records('holds', this.maxEntries, now);
    this.#choices = new Records('choices', this.maxEntries, now);
    this.#inbound = new Records('inbound', this.maxEntries, now);
    this.#sends = new Records('sends', this.maxEntries, now);
    this.#inboxes = new Records('inboxes', this.maxEntries, now);
    this.#outboxes = new Records('outboxes', this.maxEntries, now);
  }

  async claimDelivery(id: string, options: { token: string; leaseMs: number }): Promise<DeliveryClaimState> {
    checkStoreArguments({ id, token: options.token, leaseMs: options.leaseMs });
    const claim = this.#claims.get(id);
    if (claim?.state === 'processing' && claim.token === options.token) return 'claimed';
    if (claim !== undefined) return claim.state;
    this.#claims.set(id, { state: 'processing', token: options.token }, this.#now() + options.leaseMs);
    return 'claimed';
  }

  async deliveryState(id: string): Promise<'processing' | 'done' | undefined> {
    checkStoreArguments({ id });
    return this.#claims.get(id)?.state;
  }

  async renewDelivery(id: string, options: { token: string; leaseMs: number }): Promise<boolean> {
    checkStoreArguments({ id, token: options.token, leaseMs: options.leaseMs });
    const claim = this.#claims.get(id);
    if (claim?.state !== 'processing' || claim.token !== options.token) return false;
    this.#claims.set(id, claim, this.#now() + options.leaseMs);
    return true;
  }

  async completeDelivery(id: string, options: { token: string; keepMs: number }): Promise<boolean> {
    checkStoreArguments({ id, token: options.token, keepMs: options.keepMs });
    const claim = this.#claims.get(id);
    if (claim !== undefined && claim.token !== options.token) return false;
    this.#claims.set(id, { state: 'done', token: options.token }, this.#now() + options.keepMs);
    return true;
  }

  async releaseDelivery(id: string, options: { token: string }): Promise<boolean> {
    checkStoreArguments({ id, token: options.token });
    const claim = this.#claims.get(id);
    if (claim?.state !== 'processing' || claim.token !== options.token) return false;
    this.#claims.delete(id);
    return true;
  }

  async setHold(
    key: string,
    hold: { by: string; reason: string },
    options: { ttlMs: number },
  ): Promise<ConversationHold> {
    checkStoreArguments({ key, by: hold.by, reason: hold.reason, ttlMs: options.ttlMs });
    const now = this.#now();
    const held = this.#holds.get(key) ?? { by: hold.by, reason: hold.reason, since: now };
    const expiresAt = now + options.ttlMs;
    this.#holds.set(key, held, expiresAt);
    return { ...held, expiresAt };
  }

  async getHold(key: string): Promise<ConversationHold | undefined> {
    checkStoreArguments({ key });
    const held = this.#holds.get(key);
    return held === undefined ? undefined : { ...held, expiresAt: this.#holds.expiresAt(key) };
  }

  async clearHold(key: string): Promise<boolean> {
    checkStoreArguments({ key });
    const held = this.#holds.get(key) !== undefined;
    this.#holds.delete(key);
    return held;
  }

  async recordChoices(key: string, offer: OfferedChoices, options: { keep: number; ttlMs: number }): Promise<void> {
    checkStoreArguments({ key, messageId: offer.messageId, at: offer.at, keep: options.keep, ttlMs: options.ttlMs });
    const expiresAt = this.#now() + options.ttlMs;
    const kept = this.liveItems(this.#choices.get(key)).filter((item) => item.messageId !== offer.messageId);
    const offers = [{ ...copy(offer), expiresAt }, ...kept].slice(0, options.keep);
    this.#choices.set(key, offers, Math.max(...offers.map((item) => item.expiresAt)));
  }

  async findChoices(key: string, messageId?: string): Promise<OfferedChoices | undefined> {
    checkStoreArguments({ key, messageId }, ['messageId']);
    const offers = this.liveItems(this.#choices.get(key));
    const found = messageId === undefined ? offers[0] : offers.find((item) => item.messageId === messageId);
    if (found === undefined) return undefined;
    const { expiresAt: _, ...offer } = found;
    return copy(offer);
  }

  async noteInbound(key: string, at: number, options: { ttlMs: number }): Promise<number> {
    checkStoreArguments({ key, at, ttlMs: options.ttlMs });
    const last = Math.max(at, this.#inbound.get(key) ?? 0);
    this.#inbound.set(key, last, this.#now() + options.ttlMs);
    return last;
  }

  async lastInbound(key: string): Promise<number | undefined> {
    checkStoreArguments({ key });
    return this.#inbound.get(key);
  }

  async recordSend(key: string, send: AutomatedSend, options: { keep: number; ttlMs: number }): Promise<void> {
    checkStoreArguments(
      { key, messageId: send.messageId, fingerprint: send.fingerprint, keep: options.keep, ttlMs: options.ttlMs },
      ['messageId'],
    );
    const expiresAt = this.#now() + options.ttlMs;
    const sends = [
      ...this.liveItems(this.#sends.get(key)),
      { messageId: send.messageId, fingerprint: send.fingerprint, expiresAt },
    ];
    const kept = sends.slice(Math.max(0, sends.length - options.keep));
    this.#sends.set(key, kept, Math.max(...kept.map((item) => item.expiresAt)));
  }

  async matchEcho(key: string, echo: AutomatedSend): Promise<boolean> {
    checkStoreArguments({ key, messageId: echo.messageId, fingerprint: echo.fingerprint }, ['messageId']);
    const sends = this.liveItems(this.#sends.get(key));
    const index = matchingSend(sends, echo);
    if (index < 0) return false;
    sends.splice(index, 1);
    if (sends.length === 0) this.#sends.delete(key);
    else this.#sends.set(key, sends, this.#sends.expiresAt(key));
    return true;
  }

  async appendInbox(key: string, entry: InboxEntry, options: { ttlMs: number }): Promise<boolean> {
    checkStoreArguments({ key, id: entry.id, payload: entry.payload, at: entry.at, ttlMs: options.ttlMs });
    const entries = this.#inboxes.get(key) ?? [];
    if (entries.some((kept) => kept.id === entry.id)) return false;
    this.#inboxes.set(key, [...entries, { ...entry }], this.#now() + options.ttlMs);
    return true;
  }

  async readInbox(key: string): Promise<InboxEntry[]> {
    checkStoreArguments({ key });
    return (this.#inboxes.get(key) ?? []).map((entry) => ({ ...entry }));
  }

  async ackInbox(key: string, ids: readonly string[]): Promise<number> {
    checkStoreArguments({ key });
    const entries = this.#inboxes.get(key) ?? [];
    const kept = entries.filter((entry) => !ids.includes(entry.id));
    if (kept.length === 0) this.#inboxes.delete(key);
    else this.#inboxes.set(key, kept, this.#inboxes.expiresAt(key));
    return entries.length - kept.length;
  }

  async pendingInboxes(limit: number): Promise<string[]> {
    checkStoreArguments({ limit });
    const waiting: Array<[string, number]> = [];
    for (const key of this.#inboxes.keys()) {
      const first = this.#inboxes.get(key)?.[0];
      if (first !== undefined) waiting.push([key, first.at]);
    }
    return waiting
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([key]) => key);
  }

  async openOutbox(key: string, outbox: OutboxToOpen, options: { keepMs: number }): Promise<OutboxOpened> {
    checkStoreArguments({ key, token: outbox.token, payload: outbox.payload, keepMs: options.keepMs });
    checkStoreArguments({ index: outbox.messages });
    const { token } = outbox;
    const open = this.#outboxes.get(key);
    if (open !== undefined) return { opened: open.token === token, taken: [], open: open.token !== token };
    const taken = outbox.entries.filter((id) => {
      const claim = this.#claims.get(`answered:${id}`);
      return claim !== undefined && claim.token !== token;
    });
    if (taken.length > 0) return { opened: false, taken, open: false };
    const expiresAt = this.#now() + options.keepMs;
    const states = Array.from({ length: outbox.messages }, () => 'pending');
    this.#outboxes.set(key, { token, entries: [...outbox.entries], payload: outbox.payload, states }, expiresAt);
    for (const id of outbox.entries) this.#claims.set(`answered:${id}`, { state: 'done', token }, expiresAt);
    return { opened: true, taken: [], open: false };
  }

  async readOutbox(key: string): Promise<Outbox | undefined> {
    checkStoreArguments({ key });
    const kept = this.#outboxes.get(key);
    if (kept === undefined) return undefined;
    const states = kept.states.map(
      (state) => (state.startsWith('sending:') ? 'sending' : state) as Outbox['states'][0],
    );
    return { token: kept.token, entries: [...kept.entries], payload: kept.payload, states };
  }

  async markOutbox(
    key: string,
    options: { token: string; index: number; state: 'sending' | 'sent'; sender: string },
  ): Promise<boolean> {
    checkStoreArguments({ key, token: options.token, index: options.index, sender: options.sender });
    const kept = this.#outboxes.get(key);
    const now = kept?.token === options.token ? kept.states[options.index] : undefined;
    if (kept === undefined || now === undefined || now === 'sent') return false;
    const sending = `sending:${options.sender}`;
    if (options.state === 'sending' && now !== 'pending') return now === sending;
    kept.states[options.index] = options.state === 'sending' ? sending : 'sent';
    return true;
  }

  async closeOutbox(key: string, options: { token: string }): Promise<boolean> {
    checkStoreArguments({ key, token: options.token });
    if (this.#outboxes.get(key)?.token !== options.token) return false;
    this.#outboxes.delete(key);
    return true;
  }

  override async close(): Promise<void> {
    await super.close();
    const all = [this.#claims, this.#holds, this.#choices, this.#inbound, this.#sends, this.#inboxes, this.#outboxes];
    for (const records of all) records.clear();
  }

  private liveItems<T extends { expiresAt: number }>(items: T[] | undefined): T[] {
    const now = this.#now();
    return (items ?? []).filter((item) => item.expiresAt > now);
  }
}

/** A copy of an offer, as a shared store hands one back (its JSON). */
function copy(offer: OfferedChoices): OfferedChoices {
  return JSON.parse(JSON.stringify(offer)) as OfferedChoices;
}

/** The index of the send an echo matches (see `ConversationStore.matchEcho`), or -1. */
function matchingSend(sends: readonly AutomatedSend[], echo: AutomatedSend): number {
  if (echo.messageId !== undefined) {
    const byId = sends.findIndex((send) => send.messageId === echo.messageId);
    if (byId >= 0) return byId;
    return sends.findIndex((send) => send.messageId === undefined && send.fingerprint === echo.fingerprint);
  }
  return sends.findIndex((send) => send.fingerprint === echo.fingerprint);
}
