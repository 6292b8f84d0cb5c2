// The conversation engine: the WhatsApp loop written once. `receive` takes a raw delivery and says what
// to answer: it verifies the signature and the signed timestamp, claims the delivery in the store (a
// lease, then done for the replay window), routes it (a status, our own echo, a person's echo, a customer
// message), and keeps a customer's message durably in that customer's inbox before answering 200. The
// turns then run under the customer's lock in the store (customer-turns.ts) on this replica, or, if it
// dies, on whichever replica's sweep finds the inbox waiting once the lock's lease has run out.

import type { InboundButtonReply, InboundEvent, InboundMessage } from '../messaging/inbound.js';
import { type RawBody, parseWebhook, webhookSignature } from '../messaging/webhook.js';
import { CustomerTurns, type InboxItem, notify, persist } from './customer-turns.js';
import {
  type ConversationEngineOptions,
  type EngineLogger,
  type EngineSettings,
  type RawDelivery,
  type ReceiveResult,
  engineSettings,
} from './engine-options.js';
import { ConversationState, type DeliveryClaim, HUMAN_REPLY_REASON, deliveryRefusal } from './state.js';
import type { ConversationHold } from './store.js';

// How many waiting inboxes one sweep looks at.
const SWEEP_BATCH = 100;

const silent: EngineLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The loop of one business, shared by every replica through `options.store`. Exactly once: a delivery is
 * claimed atomically, kept in the store's inbox before the 200, and leaves the inbox only once its reply
 * went out; a replica that dies leaves its claim and its customers' inboxes to the others' sweeps.
 */
export class ConversationEngine {
  readonly #settings: EngineSettings;
  readonly #logger: EngineLogger;
  readonly #turns: CustomerTurns;
  readonly #state: ConversationState;
  readonly #timer: ReturnType<typeof setInterval>;
  #sweeping = false;
  #closed = false;

  constructor(private readonly options: ConversationEngineOptions) {
    this.#settings = engineSettings(options);
    this.#logger = options.logger ?? silent;
    this.#state = new ConversationState({
      store: options.store,
      businessId: options.businessId,
      holdTtlMs: this.#settings.holdTtlMs,
      ...(options.now ? { now: options.now } : {}),
    });
    this.#turns = new CustomerTurns(options, this.#settings, this.#logger, this.#state);
    this.#timer = setInterval(() => void this.sweep(), this.#settings.sweepIntervalMs);
    this.#timer.unref?.();
  }

  /** Takes one raw delivery; resolves with the HTTP status to answer and what became of it. Never rejects. */
  async receive(delivery: RawDelivery): Promise<ReceiveResult> {
    let event: InboundEvent;
    try {
      event = parseWebhook(delivery.rawBody as RawBody, delivery.headers, this.options.webhookSecret, {
        maxAgeMs: this.#settings.maxAgeMs,
        ...(this.options.now ? { now: this.options.now } : {}),
      });
    } catch (error) {
      return this.refused(error);
    }
    if (event.kind === 'status') return { status: 200, outcome: 'status', clientKey: event.clientKey };
    if (event.kind === 'other') return { status: 200, outcome: 'ignored' };
    const id = webhookSignature(delivery.headers) as string; // parseWebhook refused a delivery without one
    const key = this.key(event.clientKey);
    let claim: DeliveryClaim;
    try {
      claim = await this.#state.claim(id, this.#settings.leaseMs);
      if (claim.state === 'done') return { status: 200, outcome: 'duplicate', clientKey: event.clientKey };
      if (claim.state === 'processing') return await this.inProgress(id, key, event);
    } catch (error) {
      this.#logger.error(`Could not claim a delivery: ${(error as Error).message}`);
      return { status: 503, outcome: 'failed', clientKey: event.clientKey };
    }
    try {
      const result = await this.accept(id, key, event);
      await this.#state.complete(claim, this.#settings.keepMs);
      if (result.outcome === 'accepted') this.run(key);
      return result;
    } catch (error) {
      // Nothing was answered yet: the claim is dropped, Connectly sends the delivery again.
      await this.#state.release(claim).catch(() => undefined);
      this.#logger.error(`Could not take a delivery for ${event.clientKey}: ${(error as Error).message}`);
      return { status: 503, outcome: 'failed', clientKey: event.clientKey };
    }
  }

  /**
   * Gives a held conversation back to the agent: what was said meanwhile (the customer's messages and
   * the person's replies, in order) goes to the agent now, as one turn.
   */
  async release(clientKey: string): Promise<{ released: boolean; pendingEvents: number }> {
    const key = this.key(clientKey);
    const released = await persist(() => this.#state.clearHold(clientKey));
    const pendingEvents = (await persist(() => this.options.store.readInbox(key))).length;
    if (pendingEvents > 0) this.run(key);
    return { released, pendingEvents };
  }

  /** The hold in force for the customer, or undefined when the agent has the conversation. */
  hold(clientKey: string): Promise<ConversationHold | undefined> {
    return this.#state.hold(clientKey);
  }

  async isHeld(clientKey: string): Promise<boolean> {
    return (await this.hold(clientKey)) !== undefined;
  }

  /** Hands the conversation to a person from the app (e.g. the desk took it). */
  async holdFor(clientKey: string, by: string, reason: string): Promise<ConversationHold> {
    return this.#state.holdFor(clientKey, by, reason);
  }

  /** Resolves once no turn runs on this engine. */
  idle(): Promise<void> {
    return this.#turns.idle();
  }

  /** Stops the sweep and waits for the turns running here; the store stays open (it is the app's). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#turns.close();
    await this.#turns.idle();
  }

  /** Looks once for inboxes waiting with nobody at work on them here; the lock tells whether another replica is. */
  async sweep(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      for (const key of await this.options.store.pendingInboxes(SWEEP_BATCH)) {
        if (!this.#turns.running(key)) this.run(key);
      }
    } catch (error) {
      this.#logger.warn(`The sweep could not read the store: ${(error as Error).message}`);
    } finally {
      this.#sweeping = false;
    }
  }

  private run(key: string): void {
    if (this.#closed) return;
    this.#turns.drain(key).catch((error: unknown) => {
      this.#logger.error(`Turns for ${key} stopped: ${(error as Error).message}`);
    });
  }

  private key(clientKey: string): string {
    return this.#state.key(clientKey);
  }

  private refused(error: unknown): ReceiveResult {
    const refusal = deliveryRefusal(error, this.#settings.maxAgeMs);
    this.#logger.warn(refusal.message);
    return { status: refusal.status, outcome: refusal.outcome };
  }

  // Keeps what the delivery means for the conversation; throws when the store cannot keep it.
  private async accept(id: string, key: string, event: InboundEvent & { clientKey: string }): Promise<ReceiveResult> {
    const { store } = this.options;
    const clientKey = event.clientKey;
    const at = (this.options.now ?? Date.now)();
    if (event.kind === 'echo') {
      if (await this.#state.isOwnEcho(event)) {
        return { status: 200, outcome: 'echo-own', clientKey };
      }
      // A person wrote from the inbox: the bot stays quiet until released, and the agent hears it then.
      await this.#state.holdFor(clientKey, HUMAN_REPLY_REASON, HUMAN_REPLY_REASON);
      const text = event.message.text ?? '';
      if (text.trim() !== '') await this.keep(id, at, { kind: 'human', clientKey, text });
      await notify(this.options, this.#logger, { clientKey, kind: 'human-reply', text });
      return { status: 200, outcome: 'echo-human', clientKey };
    }
    if (event.kind !== 'message' && event.kind !== 'button') return { status: 200, outcome: 'ignored', clientKey };
    await this.keepCustomer(id, event, at);
    if ((await store.getHold(key)) !== undefined) {
      const said = event.kind === 'button' ? event.title : (event.text ?? '[media]');
      await notify(this.options, this.#logger, { clientKey, kind: 'customer-message', text: said });
      return { status: 200, outcome: 'held', clientKey };
    }
    return { status: 200, outcome: 'accepted', clientKey };
  }

  /**
   * A repeat of a delivery another attempt is taking now. That attempt may have failed without dropping
   * its claim (the store went away): a customer's message is kept here too — the inbox takes each
   * delivery once, and one already answered is known by its mark — so the 200 never loses it.
   */
  private async inProgress(
    id: string,
    key: string,
    event: InboundEvent & { clientKey: string },
  ): Promise<ReceiveResult> {
    const clientKey = event.clientKey;
    if (event.kind === 'message' || event.kind === 'button') {
      try {
        if (await this.keepCustomer(id, event, (this.options.now ?? Date.now)())) this.run(key);
      } catch (error) {
        this.#logger.error(`Could not take a delivery for ${clientKey}: ${(error as Error).message}`);
        return { status: 503, outcome: 'failed', clientKey };
      }
    }
    return { status: 200, outcome: 'in-progress', clientKey };
  }

  // Notes the customer's inbound time and keeps the message in the inbox; true when it was not there yet.
  private async keepCustomer(id: string, event: InboundMessage | InboundButtonReply, at: number): Promise<boolean> {
    await this.#state.noteInbound(event);
    const item: InboxItem = {
      kind: 'customer',
      clientKey: event.clientKey,
      event: { ...event, payload: {} } as InboundEvent,
    };
    return this.keep(id, at, item);
  }

  private keep(id: string, at: number, item: InboxItem): Promise<boolean> {
    return this.#state.keepInInbox(item.clientKey, { id, payload: JSON.stringify(item), at });
  }
}
