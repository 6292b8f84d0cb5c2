// The contract of a conversation store: everything the WhatsApp loop keeps between deliveries, shared by
// every process that answers one business. The session store's primitives (session ids, the turn lock)
// plus delivery claims, handover holds, offered choices, the customer's last inbound time and the
// automated sends an echo is matched against. Each method is one atomic step on the store.

import type { ReplyChoices } from '../messaging/inbound.js';
import type { SessionStore } from '../sessions/session-store.js';

/**
 * What `claimDelivery` found:
 * - `'claimed'`: the delivery is new (or its last claim's lease ran out): it is yours, handle it;
 * - `'processing'`: another claim holds it now: answer the repeat without handling it;
 * - `'done'`: it was handled inside the replay window: answer the repeat without handling it.
 */
export type DeliveryClaimState = 'claimed' | 'processing' | 'done';

/** A conversation handed to a person: who took it, why, and until when it holds without renewal. */
export interface ConversationHold {
  /** Who holds it: e.g. a teammate's id, `agent` for the agent's own handover, `human-reply` for an echo. */
  by: string;
  /** Why it is held: the agent's handover reason, or what the person's action was. */
  reason: string;
  /** When it was held, in ms since the epoch. */
  since: number;
  /** When it stops holding unless held again, in ms since the epoch (the TTL it was set with). */
  expiresAt: number;
}

/** The choices one outbound message offered, keyed by that message's id. */
export interface OfferedChoices {
  /** The id Connectly gave the outbound message that carried the choices. */
  messageId: string;
  /** The choices it offered, by choice id (as `sentChoices`/`toWhatsAppMessages` key them). */
  choices: ReplyChoices;
  /** When they were offered, in ms since the epoch. */
  at: number;
}

/** One automated send, recorded so that its echo is known for the business's own. */
export interface AutomatedSend {
  /** The id Connectly gave the message, once known; omit it when recording before the send answers. */
  messageId?: string | undefined;
  /** A fingerprint of the content as an echo carries it (e.g. a hash of the text). */
  fingerprint: string;
}

/** One accepted delivery waiting in a customer's inbox until a turn has taken it. */
export interface InboxEntry {
  /** What is the same on every redelivery of the delivery (as `claimDelivery` takes it). */
  id: string;
  /** What the loop needs of it later (e.g. the event as JSON); the store keeps it as it is. */
  payload: string;
  /** When it was accepted, in ms since the epoch. */
  at: number;
}

/** Where one message of an outbox is: not begun, begun (its request may or may not have reached Connectly), sent. */
export type OutboxSendState = 'pending' | 'sending' | 'sent';

/**
 * A reply a turn is about to send, kept with the claims on the entries it answers: a turn that takes the
 * conversation over after the first one stopped (its process died) sends what is still pending.
 */
export interface Outbox {
  /** The turn that opened it (unique per turn); its claims on the entries are `answered:<id>` with it. */
  token: string;
  /** The ids of the inbox entries it answers. */
  entries: string[];
  /** What the loop needs to send it (e.g. the messages as JSON); the store keeps it as it is. */
  payload: string;
  /** One state per message, in send order. */
  states: OutboxSendState[];
}

/** The reply `openOutbox` keeps: `messages` sends, each `'pending'` until begun. */
export interface OutboxToOpen {
  /** The turn that opens it, unique per turn. */
  token: string;
  /** The ids of the inbox entries it answers. */
  entries: readonly string[];
  /** What the loop needs to send it; kept as it is. */
  payload: string;
  /** How many messages it sends (0 or more). */
  messages: number;
}

/** What `openOutbox` did (see {@link ConversationStore.openOutbox}). */
export interface OutboxOpened {
  /** Written (or written already by the same token). */
  opened: boolean;
  /** The entries another token had claimed: nothing was written. */
  taken: string[];
  /** Another token's outbox is open: nothing was written. */
  open: boolean;
}

/**
 * The state of the WhatsApp loop, shared by every process: a `SessionStore` (sessions and the turn lock)
 * and the steps below. Keys: `key` is the conversation's key, made the way the session store's are
 * (`sessionKey(businessId, clientKey)`); a delivery `id` is what is the same on every redelivery of one
 * delivery (its `x-connectly-hmac-sha256` signature: [INFERRED] Connectly redelivers the same body, so the
 * same signature; its docs promise no delivery id). Implementations may prefix keys; every record
 * expires by a TTL given here, so nothing grows forever.
 *
 * Every method is atomic: two processes calling at once see one outcome (one claim wins, one echo match
 * wins). Durations are milliseconds; times are ms since the epoch. A store that cannot keep a record
 * rejects (e.g. `ConversationStoreFullError` from a bounded memory store) rather than forgetting another
 * one: losing a claim answers a customer twice, losing a hold lets the bot talk over a person.
 *
 * The public conformance suite (`connectly-agent-graph/testing`) checks an implementation against this.
 */
export interface ConversationStore extends SessionStore {
  /**
   * Claims a delivery for `token` (unique per attempt, e.g. a random UUID) for `leaseMs`. `'claimed'`
   * when it was neither being handled nor done, or its last claim's lease ran out (a handler that
   * crashed), or when `token` holds it already (a claim sent again after a lost answer); otherwise what
   * holds it. Of any number of concurrent claims with different tokens, exactly one gets `'claimed'`.
   */
  claimDelivery(id: string, options: { token: string; leaseMs: number }): Promise<DeliveryClaimState>;
  /**
   * What holds the delivery now, without claiming it: `'processing'` (a claim's lease is running), `'done'`,
   * or undefined when nothing does (never claimed, released, or its lease or its replay window ran out).
   */
  deliveryState(id: string): Promise<Exclude<DeliveryClaimState, 'claimed'> | undefined>;
  /**
   * Extends the claim's lease to `leaseMs` from now, while `token` still holds it in processing. False
   * when it does not (the lease ran out, or another claim took it since): stop, someone else handles it.
   */
  renewDelivery(id: string, options: { token: string; leaseMs: number }): Promise<boolean>;
  /**
   * The delivery was handled: repeats find it `'done'` for `keepMs` (the replay window). True when
   * `token`'s claim was still there, or nothing was (its lease ran out and nobody claimed it since: the
   * work is done, so it is marked done); false, changing nothing, when another claim holds or finished it.
   */
  completeDelivery(id: string, options: { token: string; keepMs: number }): Promise<boolean>;
  /**
   * The handling failed: `token`'s claim is dropped so that the redelivery is handled again. False,
   * changing nothing, when `token` no longer holds it (another claim since, or it is done).
   */
  releaseDelivery(id: string, options: { token: string }): Promise<boolean>;

  /**
   * Holds the conversation for a person for `ttlMs` (never longer, never shorter: it is not evicted to
   * make room). When it is held already, that hold stays (its `by`, `reason`, `since`) and only its
   * expiry moves to `ttlMs` from now. Returns the hold in force.
   */
  setHold(key: string, hold: { by: string; reason: string }, options: { ttlMs: number }): Promise<ConversationHold>;
  /** The hold in force, or undefined when the conversation is with the agent. */
  getHold(key: string): Promise<ConversationHold | undefined>;
  /** Hands the conversation back to the agent. True when it was held. */
  clearHold(key: string): Promise<boolean>;

  /**
   * Remembers the choices a sent message offered, as the newest: an offer of the same `messageId` is
   * replaced and moves first. At most `keep` offers are kept per conversation (the oldest go first),
   * each for `ttlMs` after it was offered.
   */
  recordChoices(key: string, offer: OfferedChoices, options: { keep: number; ttlMs: number }): Promise<void>;
  /**
   * The offer of the message `messageId` names (an inbound `context.replyToId`), or, without one, the
   * newest offer; undefined when none is kept.
   */
  findChoices(key: string, messageId?: string): Promise<OfferedChoices | undefined>;

  /**
   * Notes an inbound message's time: the customer's last inbound time becomes `at` unless it is later
   * already (a delivery that arrives late never moves it back). Kept `ttlMs` from now. Returns the
   * last inbound time in force.
   */
  noteInbound(key: string, at: number, options: { ttlMs: number }): Promise<number>;
  /** The customer's last inbound time, or undefined when none is kept. */
  lastInbound(key: string): Promise<number | undefined>;

  /**
   * Records a message the automation sent, for `ttlMs`, so that its echo is told from a person's. At
   * most `keep` are kept per conversation (the oldest go first).
   */
  recordSend(key: string, send: AutomatedSend, options: { keep: number; ttlMs: number }): Promise<void>;
  /**
   * True when the echo is of a recorded automated send, which is then forgotten (each record matches
   * one echo). An echo with a `messageId` matches the send recorded with that id, else the oldest send
   * recorded without an id that has its fingerprint; an echo without one, the oldest send with its
   * fingerprint. False when nothing matches: a person sent it. [INFERRED] The echo's shape is not
   * documented: whether it carries the sent message's id is not promised, hence the fingerprint.
   */
  matchEcho(key: string, echo: AutomatedSend): Promise<boolean>;

  /**
   * Keeps an accepted delivery in the conversation's inbox, after the entries there, until `ackInbox`
   * removes it: what a process accepted survives that process. An entry whose `id` is there already is
   * not added again (false). The inbox expires `ttlMs` after its last append; while it holds entries,
   * its key is listed by `pendingInboxes`.
   */
  appendInbox(key: string, entry: InboxEntry, options: { ttlMs: number }): Promise<boolean>;
  /** The inbox's entries, oldest first; empty when there are none. */
  readInbox(key: string): Promise<InboxEntry[]>;
  /** Removes the entries with these ids (others stay, in order); how many were removed. */
  ackInbox(key: string, ids: readonly string[]): Promise<number>;
  /** Up to `limit` conversation keys whose inbox holds entries, the longest waiting first. */
  pendingInboxes(limit: number): Promise<string[]>;

  /**
   * Marks the entries answered and keeps the reply that answers them, in one step: for each entry id, the
   * delivery claim `answered:<id>` is made `'done'` for `token` (kept `keepMs`), and the outbox (`messages`
   * sends, each `'pending'`) is kept for `keepMs` as the conversation's open outbox. Nothing is written
   * when an entry is claimed by another token already (`taken` lists those ids) or when the conversation
   * has an open outbox of another token (`open`: finish that one first). `opened` is true once written,
   * and when the same call is repeated (same token) after a lost answer.
   */
  openOutbox(key: string, outbox: OutboxToOpen, options: { keepMs: number }): Promise<OutboxOpened>;
  /** The conversation's open outbox, or undefined when none is open. */
  readOutbox(key: string): Promise<Outbox | undefined>;
  /**
   * Moves message `index` of `token`'s outbox on: to `'sending'` only from `'pending'` (the caller alone
   * sends it; `sender` is the caller, so a repeat of its own call is still true), to `'sent'` from
   * `'pending'` or `'sending'`. False, changing nothing, when the outbox is not `token`'s, has no such
   * message, or the message is past that state (another sender began it, or it was sent).
   */
  markOutbox(
    key: string,
    options: { token: string; index: number; state: 'sending' | 'sent'; sender: string },
  ): Promise<boolean>;
  /** Closes `token`'s outbox (its reply is dealt with). False when the open outbox is not `token`'s, or none is. */
  closeOutbox(key: string, options: { token: string }): Promise<boolean>;
}
