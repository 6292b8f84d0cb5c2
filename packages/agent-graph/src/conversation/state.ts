// The rules of the WhatsApp loop over a ConversationStore, one step at a time: taking a delivery once,
// telling the automation's own echoes from a person's, the customer's last inbound time and the 24-hour
// window, handover holds, what was said while a person had the conversation, the choices offered, and
// the sends recorded for their echoes. The engine runs them as one loop; an adapter that runs the loop in
// pieces of its own (n8n's trigger and nodes, one execution each) calls the same steps, so every rule is
// written once and every process that shares the store sees the same state.

import { createHash, randomUUID } from 'node:crypto';
import { ConnectlyError, ConnectlyProtocolError } from '../errors/errors.js';
import type { InboundButtonReply, InboundEcho, InboundMessage, ReplyChoices } from '../messaging/inbound.js';
import { sentChoices } from '../messaging/inbound.js';
import { isAutomatedEcho } from '../messaging/marks.js';
import { ConnectlyWebhookSignatureError } from '../messaging/webhook.js';
import { sessionKey } from '../sessions/session-store.js';
import type { InputEvent } from '../wire/api.js';
import type { OutboundMessage } from '../wire/message-api.js';
import type { ConversationHold, ConversationStore, DeliveryClaimState, InboxEntry, OfferedChoices } from './store.js';

/** A hold's TTL by default: a day. A hold ends when it is released, or when this runs out, never otherwise. */
export const DEFAULT_HOLD_TTL_MS = 24 * 60 * 60 * 1000;
/** WhatsApp's customer service window: free-form messages only this long after the customer's last message. */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Who holds a conversation the agent handed over. */
export const AGENT_HOLD = 'agent';
/** Who holds (and why) a conversation a person took by writing to the customer from Connectly's inbox. */
export const HUMAN_REPLY_REASON = 'human-reply';

// Offers kept per customer, and for how long.
const CHOICES_KEPT = 20;
const CHOICES_TTL_MS = 7 * 24 * 60 * 60 * 1000;
// Automated sends kept to match their echoes against.
const SENDS_KEPT = 50;
const SENDS_TTL_MS = 60 * 60 * 1000;
// How long a customer's inbox is kept, at the least, after its last entry.
const INBOX_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The fingerprint of a message as an echo carries it: a hash of its JSON with keys sorted, without the
 * echo flag. [INFERRED] The echo's shape is undocumented; the mock echoes the sent message as it was sent.
 */
export function fingerprint(message: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([name, field]) => name !== 'isEcho' && field !== undefined && field !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([name, field]) => [name, canonical(field)]));
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(message)))
    .digest('base64');
}

/** Why a delivery was refused, and the HTTP status to answer it with. */
export interface DeliveryRefusal {
  status: 400 | 401;
  outcome: 'refused-stale' | 'refused-malformed' | 'refused-signature';
  /** One line for the log, naming the fix where there is one. */
  message: string;
}

/**
 * What `parseWebhook` threw, as the answer to give: 401 for anything not proved to come from Connectly
 * now (no signature, a wrong one, or a signed timestamp past the limit: a replay of a captured delivery,
 * or a clock off), 400 for a signed body that is not a delivery.
 */
export function deliveryRefusal(error: unknown, maxAgeMs: number, setting = '`maxAgeMs`'): DeliveryRefusal {
  if (error instanceof ConnectlyWebhookSignatureError && error.reason === 'stale') {
    const limit = `${maxAgeMs / 60_000} minute(s)`;
    const fix = setting === '`maxAgeMs`' ? error.message : error.message.replace('`maxAgeMs`', setting);
    return { status: 401, outcome: 'refused-stale', message: `Refused a delivery older than ${limit}. ${fix}` };
  }
  const message = `Refused a delivery: ${error instanceof ConnectlyError ? error.message : String(error)}`;
  if (error instanceof ConnectlyProtocolError) return { status: 400, outcome: 'refused-malformed', message };
  return { status: 401, outcome: 'refused-signature', message };
}

/** Whether a reply due now may go out as free-form messages: `'unknown'` when no inbound time is kept. */
export type WindowState = 'inside' | 'outside' | 'unknown';

export interface ConversationStateOptions {
  /** Where the state is kept: memory for one process, a shared store (Redis) for a fleet. */
  store: ConversationStore;
  /** The business whose conversations these are: keys are `sessionKey(businessId, clientKey)`. */
  businessId: string;
  /** How long a hold lasts unless released. Default {@link DEFAULT_HOLD_TTL_MS} (a day). */
  holdTtlMs?: number;
  /** Replaces the clock (ms since the epoch). */
  now?: () => number;
}

/** One claim on a delivery: hand it back to `complete` or `release`. */
export interface DeliveryClaim {
  id: string;
  token: string;
  state: DeliveryClaimState;
}

/** The WhatsApp loop's state of one business, step by step (see the file's opening comment). */
export class ConversationState {
  readonly store: ConversationStore;
  readonly businessId: string;
  readonly holdTtlMs: number;
  readonly #now: () => number;

  constructor(options: ConversationStateOptions) {
    this.store = options.store;
    this.businessId = options.businessId;
    this.holdTtlMs = options.holdTtlMs ?? DEFAULT_HOLD_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The store key of the customer's conversation. */
  key(clientKey: string): string {
    return sessionKey(this.businessId, clientKey);
  }

  /** Claims a delivery (`id` is what every redelivery repeats) for `leaseMs`; `state` says whether it is yours. */
  async claim(id: string, leaseMs: number): Promise<DeliveryClaim> {
    const token = randomUUID();
    return { id, token, state: await this.store.claimDelivery(id, { token, leaseMs }) };
  }

  /** The claimed delivery was handled: repeats inside `keepMs` (the replay window) are known as done. */
  complete(claim: DeliveryClaim, keepMs: number): Promise<boolean> {
    return this.store.completeDelivery(claim.id, { token: claim.token, keepMs });
  }

  /** Handling the claimed delivery failed: its redelivery is handled again. */
  release(claim: DeliveryClaim): Promise<boolean> {
    return this.store.releaseDelivery(claim.id, { token: claim.token });
  }

  /**
   * Whether an echo is of a message the automation sent: marked as automated in its `callbackData`, or,
   * [INFERRED] since echoes are not promised to carry `callbackData`, the same content as a send recorded
   * for the customer (each record matches one echo). Anything else a person sent from the inbox.
   */
  async isOwnEcho(echo: InboundEcho): Promise<boolean> {
    if (isAutomatedEcho(echo)) return true;
    return this.isOwnSend(echo.clientKey, fingerprint(echo.message));
  }

  /**
   * Whether a message with this `fingerprint` (of its content, see {@link fingerprint}) is one the
   * automation sent the customer: true once per recorded send, which is then forgotten.
   */
  isOwnSend(clientKey: string, sent: string): Promise<boolean> {
    return this.store.matchEcho(this.key(clientKey), { fingerprint: sent });
  }

  /** Records a message about to be sent by the automation, so that its echo is known for the business's own. */
  recordSend(clientKey: string, message: OutboundMessage): Promise<void> {
    return this.store.recordSend(
      this.key(clientKey),
      { fingerprint: fingerprint(message) },
      { keep: SENDS_KEPT, ttlMs: SENDS_TTL_MS },
    );
  }

  /** Notes the customer's message's time (its own timestamp, else now): the 24-hour window runs from it. */
  noteInbound(event: InboundMessage | InboundButtonReply): Promise<number> {
    return this.noteInboundAt(event.clientKey, Number(event.timestamp) * 1000);
  }

  /**
   * Notes that the customer wrote at `at` (ms since the epoch; now when it is not a time), for those who
   * hold the message but not its delivery (an n8n node after the Trigger). Returns the last inbound time.
   */
  noteInboundAt(clientKey: string, at: number): Promise<number> {
    const when = Number.isFinite(at) && at > 0 ? at : this.#now();
    return this.store.noteInbound(this.key(clientKey), when, { ttlMs: WHATSAPP_WINDOW_MS });
  }

  /** Whether a reply due now falls inside the customer's 24-hour window. */
  async window(clientKey: string): Promise<WindowState> {
    const last = await this.store.lastInbound(this.key(clientKey));
    if (last === undefined) return 'unknown';
    return this.#now() - last > WHATSAPP_WINDOW_MS ? 'outside' : 'inside';
  }

  /** The hold in force for the customer, or undefined when the agent has the conversation. */
  hold(clientKey: string): Promise<ConversationHold | undefined> {
    return this.store.getHold(this.key(clientKey));
  }

  /** Hands the conversation to a person (`by` the agent's handover, a teammate, …) for the hold's TTL. */
  holdFor(clientKey: string, by: string, reason: string): Promise<ConversationHold> {
    return this.store.setHold(this.key(clientKey), { by, reason }, { ttlMs: this.holdTtlMs });
  }

  /** Gives the conversation back to the agent; true when it was held. */
  clearHold(clientKey: string): Promise<boolean> {
    return this.store.clearHold(this.key(clientKey));
  }

  /**
   * Whether an automated message may go to the customer now: not while a person holds the conversation.
   * The agent's own handover lets the reply that announces it out (`handingOver`).
   */
  async maySend(clientKey: string, handingOver = false): Promise<{ allowed: boolean; hold?: ConversationHold }> {
    const hold = await this.hold(clientKey);
    if (hold === undefined) return { allowed: true };
    return { allowed: handingOver && hold.by === AGENT_HOLD, hold };
  }

  /**
   * Keeps an entry in the customer's inbox until it is taken (false when one with its `id` is there):
   * a week at the least, and twice a hold's TTL, so a held conversation's entries outlive its hold.
   */
  keepInInbox(clientKey: string, entry: InboxEntry): Promise<boolean> {
    const ttlMs = Math.max(INBOX_TTL_MS, this.holdTtlMs * 2);
    return this.store.appendInbox(this.key(clientKey), entry, { ttlMs });
  }

  /** Keeps input for the agent to hear when the conversation is given back (kept until taken, in order). */
  async keepMeanwhile(clientKey: string, inputEvents: readonly InputEvent[], id: string = randomUUID()): Promise<void> {
    if (inputEvents.length === 0) return;
    await this.keepInInbox(clientKey, { id, payload: JSON.stringify(inputEvents), at: this.#now() });
  }

  /** How many inputs wait for the agent. */
  async meanwhileCount(clientKey: string): Promise<number> {
    return (await this.store.readInbox(this.key(clientKey))).length;
  }

  /**
   * Takes what waits for the agent, in order: each entry is taken by one caller only, so two runs at once
   * never both send it. Give it back with `restoreMeanwhile` when the agent provably did not hear it.
   */
  async takeMeanwhile(clientKey: string): Promise<{ inputEvents: InputEvent[]; ids: string[] }> {
    const key = this.key(clientKey);
    const entries = await this.store.readInbox(key);
    const taken = await Promise.all(entries.map(async (entry) => (await this.store.ackInbox(key, [entry.id])) === 1));
    const mine = entries.filter((_, index) => taken[index]);
    return {
      inputEvents: mine.flatMap((entry) => JSON.parse(entry.payload) as InputEvent[]),
      ids: mine.map((entry) => entry.id),
    };
  }

  /** Puts taken input back for the next turn (the call that carried it was refused before the agent heard it). */
  async restoreMeanwhile(clientKey: string, taken: { inputEvents: InputEvent[]; ids: string[] }): Promise<void> {
    if (taken.inputEvents.length > 0) await this.keepMeanwhile(clientKey, taken.inputEvents, taken.ids[0]);
  }

  /** Remembers the choices each sent message offered, newest first, so that a tap reaches the agent whole. */
  async recordChoices(
    clientKey: string,
    sent: ReadonlyArray<{ id: string; message: OutboundMessage }>,
    choices: ReplyChoices,
  ): Promise<void> {
    for (const one of sent) {
      const offered = sentChoices({ sent: [one], choices });
      if (Object.keys(offered).length === 0) continue;
      const offer = { messageId: one.id, choices: offered, at: this.#now() };
      await this.store.recordChoices(this.key(clientKey), offer, { keep: CHOICES_KEPT, ttlMs: CHOICES_TTL_MS });
    }
  }

  /** The choices the message a tap names offered (`replyToId`), or the newest offer without one. */
  findChoices(clientKey: string, replyToId?: string): Promise<OfferedChoices | undefined> {
    return this.store.findChoices(this.key(clientKey), replyToId);
  }
}
