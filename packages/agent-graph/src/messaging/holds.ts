// Conversations handed over to a person: while one is held, the customer's messages are for the human,
// not the agent; what both sides said meanwhile is kept, in order, for the agent to hear when it resumes
// (Connectly's guidance: a call carries every event since the last one). Memory is bounded and expires
// by the clock on use, so the registry needs no timer of any runtime. A held conversation is never
// forgotten to make room: past the bound, a new hold is refused with HandoverHoldsFullError.

import { ConnectlyError, ConnectlySessionStoreError, ConnectlyValidationError } from '../errors/errors.js';
import { errorProvesNotProcessed } from './outcome.js';
import { assistantText } from '../decoding/validate.js';
import type { InputEvent } from '../wire/api.js';

export interface HandoverHoldsOptions {
  /** How long a conversation stays held (and its events kept) after its last activity, in ms. Default 24 hours. */
  ttlMs?: number;
  /**
   * The most conversations remembered. Past it, the released one idle longest is forgotten (with the
   * events it still had for the agent); a held one never is: when every one is held, a new hold (or
   * anything else that needs room) throws HandoverHoldsFullError. Default 10 000.
   */
  maxConversations?: number;
  /** The most events kept for one conversation; past it, the oldest are let go and counted. Default 200. */
  maxPendingEvents?: number;
  /** Replaces the clock (ms since the epoch), e.g. to test expiry without waiting. */
  now?: () => number;
}

/** What the registry knows of one conversation. */
export interface HandoverHold {
  /** True while the conversation is with a person. */
  held: boolean;
  /** Why it was held: the agent's handover reason, or `human-reply` when a person wrote first. */
  reason: string | undefined;
  /** When it was held (ms since the epoch), while it is. */
  heldSince: number | undefined;
  /** The events the agent has not heard yet, in the order they happened. */
  pending: InputEvent[];
  /** How many of the oldest events were let go because `maxPendingEvents` was reached. */
  droppedEvents: number;
}

interface Entry extends HandoverHold {
  touchedAt: number;
}

/**
 * Every conversation the registry can remember is held by a person: a new one cannot be held without
 * silently handing another back to the bot. Release conversations, or raise `maxConversations`.
 */
export class HandoverHoldsFullError extends ConnectlyError {
  readonly maxConversations: number;

  constructor(maxConversations: number) {
    super(
      `All ${maxConversations} conversations the handover holds keep are held by a person: release some (or raise \`maxConversations\`) before holding another`,
    );
    this.maxConversations = maxConversations;
  }
}
Object.defineProperty(HandoverHoldsFullError.prototype, 'name', {
  value: 'HandoverHoldsFullError',
  writable: true,
  configurable: true,
});

/** The reason given to a hold that a person's own message started. */
export const HUMAN_REPLY_REASON = 'human-reply';

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') {
    throw new ConnectlyValidationError(
      'key',
      "The conversation key is empty: pass the customer's clientKey (or sessionKey(businessId, clientKey))",
    );
  }
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConnectlyValidationError(name, `\`${name}\` must be a positive number, got ${String(value)}`);
  }
  return value;
}

/**
 * The handover holds of one process. Key conversations the way the session store does (for one
 * business, the customer's `clientKey`; across businesses, `sessionKey(businessId, clientKey)`).
 */
export class HandoverHolds {
  readonly ttlMs: number;
  readonly maxConversations: number;
  readonly maxPendingEvents: number;
  // In order of last activity, oldest first: the first entry not held is the one evicted.
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(options: HandoverHoldsOptions = {}) {
    this.ttlMs = positive(options.ttlMs, 'ttlMs', 24 * 60 * 60 * 1000);
    this.maxConversations = Math.floor(positive(options.maxConversations, 'maxConversations', 10_000));
    this.maxPendingEvents = Math.floor(positive(options.maxPendingEvents, 'maxPendingEvents', 200));
    this.#now = options.now ?? Date.now;
  }

  /** How many conversations are remembered (held, or with events the agent has not heard yet). */
  get size(): number {
    this.sweep();
    return this.#entries.size;
  }

  /** Hands the conversation to a person: the agent hears nothing of it until `release` or `resume`. */
  hold(key: string, reason?: string): void {
    const entry = this.touch(key);
    if (!entry.held) {
      entry.held = true;
      entry.heldSince = this.#now();
      entry.reason = reason;
    } else if (reason !== undefined && entry.reason === HUMAN_REPLY_REASON) {
      entry.reason = reason;
    }
  }

  isHeld(key: string): boolean {
    checkKey(key);
    return this.live(key)?.held ?? false;
  }

  /** A copy of what is known of the conversation, or undefined when nothing is. */
  get(key: string): HandoverHold | undefined {
    checkKey(key);
    const entry = this.live(key);
    if (!entry) return undefined;
    const { touchedAt: _, ...hold } = entry;
    return { ...hold, pending: [...entry.pending] };
  }

  /**
   * A person wrote to the customer (e.g. from Connectly's inbox): a human is talking, so the
   * conversation is held, and the agent will hear the text as its own (assistant) message.
   */
  recordHumanReply(key: string, text: string): void {
    this.hold(key, HUMAN_REPLY_REASON);
    if (typeof text === 'string' && text.trim() !== '') this.queue(key, [assistantText(text)]);
  }

  /**
   * The customer wrote while the conversation is held: kept for the agent, in order with the person's
   * replies. Returns false (and keeps nothing) when the conversation is not held: send the events to the agent.
   */
  recordCustomerMessage(key: string, inputEvents: readonly InputEvent[]): boolean {
    checkKey(key);
    if (!this.live(key)?.held) return false;
    this.touch(key);
    this.queue(key, inputEvents);
    return true;
  }

  /**
   * Gives the conversation back to the agent and hands over every event it has not heard, in order:
   * send them with your next call to the agent (they are forgotten here).
   */
  release(key: string): InputEvent[] {
    this.resume(key);
    return this.takePending(key);
  }

  /**
   * Gives the conversation back to the agent, keeping its events for the next turn (`takePending`).
   * Returns how many are waiting; false when the conversation was not held.
   */
  resume(key: string): { released: boolean; pendingEvents: number } {
    checkKey(key);
    const entry = this.live(key);
    if (!entry) return { released: false, pendingEvents: 0 };
    const released = entry.held;
    entry.held = false;
    entry.heldSince = undefined;
    entry.reason = undefined;
    if (entry.pending.length === 0) this.#entries.delete(key);
    return { released, pendingEvents: entry.pending.length };
  }

  /**
   * The events the agent has not heard, to put before the customer's message on its next call; nothing
   * while the conversation is held (they wait for its release). They are forgotten here once taken.
   */
  takePending(key: string): InputEvent[] {
    checkKey(key);
    const entry = this.live(key);
    if (!entry || entry.held) return [];
    this.#entries.delete(key);
    return entry.pending;
  }

  /**
   * Puts back events taken for a turn that failed without Connectly processing them (see
   * {@link turnNotProcessed}), before any recorded since, so the next turn carries them. Never put back
   * events Connectly may have processed: the agent would hear them twice.
   */
  restore(key: string, events: readonly InputEvent[]): void {
    if (events.length === 0) return;
    const entry = this.touch(key);
    const recorded = entry.pending.splice(0);
    this.queue(key, [...events, ...recorded]);
  }

  /** Forgets every conversation. */
  clear(): void {
    this.#entries.clear();
  }

  private queue(key: string, events: readonly InputEvent[]): void {
    const entry = this.touch(key);
    entry.pending.push(...events);
    const over = entry.pending.length - this.maxPendingEvents;
    if (over > 0) {
      entry.pending.splice(0, over);
      entry.droppedEvents += over;
    }
  }

  private live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && this.#now() - entry.touchedAt >= this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * The conversation's entry (made when new, once there is room), marked active now and moved to the end
   * of the eviction order.
   */
  private touch(key: string): Entry {
    checkKey(key);
    const entry: Entry = this.live(key) ?? {
      held: false,
      reason: undefined,
      heldSince: undefined,
      pending: [],
      droppedEvents: 0,
      touchedAt: 0,
    };
    if (!this.#entries.has(key)) this.makeRoom();
    entry.touchedAt = this.#now();
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** Room for one more conversation: the expired go, then the released one idle longest; never a held one. */
  private makeRoom(): void {
    if (this.#entries.size < this.maxConversations) return;
    this.sweep();
    if (this.#entries.size < this.maxConversations) return;
    for (const [key, entry] of this.#entries) {
      if (entry.held) continue;
      this.#entries.delete(key);
      return;
    }
    throw new HandoverHoldsFullError(this.maxConversations);
  }

  private sweep(): void {
    const now = this.#now();
    // Oldest activity first: the sweep stops at the first entry still alive.
    for (const [key, entry] of this.#entries) {
      if (now - entry.touchedAt < this.ttlMs) break;
      this.#entries.delete(key);
    }
  }
}

/**
 * True when a turn's error proves Connectly did not process its input, by the rule the client retries
 * by: the input was refused before sending, the connection never reached Connectly, the answer was a
 * refusal that proves it (400, 401, 403, 404, 429, 503; not a 500 or a 504, after which the agent may
 * have heard it), or the session store failed before sending. Only then may the turn's events be sent again.
 */
export function turnNotProcessed(error: unknown): boolean {
  if (error instanceof ConnectlySessionStoreError) return !error.sent;
  return errorProvesNotProcessed(error);
}
