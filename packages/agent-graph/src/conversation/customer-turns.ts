// One customer's turns, run by whichever replica holds the customer's turn lock in the store: what waits
// in the inbox (customer messages, a person's replies, in the order they were accepted) goes to the agent
// as one turn; the reply is sent message by message, each after checking, under the lock, that no hold
// was set; a hold set mid-turn (on any replica) aborts the turn. Entries leave the inbox only once the
// reply went out, so a process that dies mid-turn leaves them for the next lock holder; the reply is kept
// in the store's outbox (with the entries' answered marks, in one step) before its first send, so the next
// lock holder sends what a dead process left unsent instead of answering again or dropping it.

import { randomUUID } from 'node:crypto';
import { ConnectlyAbortError } from '../errors/errors.js';
import { type InboundEvent, type ReplyChoices, toInputEvents } from '../messaging/inbound.js';
import { markAutomated } from '../messaging/marks.js';
import { turnNotProcessed } from '../messaging/outcome.js';
import { toWhatsAppMessages } from '../messaging/outbound.js';
import type { OutboundMessage } from '../wire/message-api.js';
import type { InputEvent } from '../wire/api.js';
import {
  type ConversationEngineOptions,
  type EngineLogger,
  type EngineSettings,
  ConnectlyOutsideWindowError,
} from './engine-options.js';
import { AGENT_HOLD, type ConversationState } from './state.js';
import type { InboxEntry, Outbox } from './store.js';

/** What an inbox entry's payload holds: a customer's event, or what a person wrote from the inbox. */
export type InboxItem =
  { kind: 'customer'; clientKey: string; event: InboundEvent } | { kind: 'human'; clientKey: string; text: string };

// How often a running turn checks for a hold and renews its lock: a hold set elsewhere aborts it within this.
const WATCH_MS = 250;
// A turn that fails with proof the agent never heard it is tried again, this many times at most.
const MAX_ATTEMPTS = 5;

export function readItem(entry: InboxEntry): InboxItem {
  return JSON.parse(entry.payload) as InboxItem;
}

/** Runs the turns of customers whose inbox holds entries; one runner per engine. */
export class CustomerTurns {
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #owner = randomUUID();
  #closed = false;

  constructor(
    private readonly options: ConversationEngineOptions,
    private readonly settings: EngineSettings,
    private readonly logger: EngineLogger,
    private readonly state: ConversationState,
  ) {}

  /** Whether this engine is running turns of the conversation `key`. */
  running(key: string): boolean {
    return this.#running.has(key);
  }

  /** Resolves once no turn runs here. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  close(): void {
    this.#closed = true;
  }

  /** Runs the conversation's waiting entries, unless another replica does; resolves when there is nothing left to do here. */
  drain(key: string): Promise<void> {
    const running = this.#running.get(key);
    if (running) {
      this.#again.add(key);
      return running;
    }
    const run = this.loop(key).finally(() => this.#running.delete(key));
    this.#running.set(key, run);
    return run;
  }

  private async loop(key: string): Promise<void> {
    do {
      this.#again.delete(key);
      if (this.#closed) return;
      const lockKey = `turns/${key}`;
      const { store } = this.options;
      if (!(await store.lock(lockKey, this.#owner, this.settings.leaseMs))) return; // another replica runs them
      try {
        while (!this.#closed && (await this.turn(key, lockKey))) {
          // one turn per round, until the inbox is empty or held
        }
      } finally {
        await store.unlock(lockKey, this.#owner).catch(() => undefined);
      }
    } while (this.#again.has(key));
  }

  /** One turn over what waits; false when there is nothing (more) to do now. */
  private async turn(key: string, lockKey: string): Promise<boolean> {
    const { store } = this.options;
    // A reply a turn kept and did not finish (its process stopped, or lost the lock): it goes out first.
    const open = await store.readOutbox(key);
    if (open !== undefined) return this.resume(key, lockKey, open);
    const waiting = await store.readInbox(key);
    if (waiting.length === 0 || (await store.getHold(key)) !== undefined) return false;
    // Entries another turn answered (or is answering): a process that stopped before removing them, or a
    // repeat of a delivery that kept its message again after it was answered.
    const states = await Promise.all(waiting.map((entry) => store.deliveryState(`answered:${entry.id}`)));
    const answered = waiting.filter((_, index) => states[index] !== undefined).map((entry) => entry.id);
    if (answered.length > 0) {
      this.logger.log(`${answered.length} message(s) of ${key} were answered already: removed, not answered again`);
      await persist(() => store.ackInbox(key, answered));
    }
    const entries = waiting.filter((entry) => !answered.includes(entry.id));
    if (entries.length === 0) return true;
    const items = entries.map(readItem);
    const clientKey = items[0]!.clientKey;
    const input: InputEvent[] = [];
    for (const item of items) {
      if (item.kind === 'human') {
        input.push({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text: item.text } } } });
        continue;
      }
      const replyToId = 'replyToId' in item.event ? item.event.replyToId : undefined;
      const offer = item.event.kind === 'button' ? await this.state.findChoices(clientKey, replyToId) : undefined;
      input.push(...toInputEvents(item.event, offer?.choices));
    }
    const ids = entries.map((entry) => entry.id);
    if (input.length === 0) return (await store.ackInbox(key, ids)) >= 0;

    const controller = new AbortController();
    let heldMidTurn = false;
    let lockLost = false;
    const watch = setInterval(() => {
      void Promise.all([store.getHold(key), store.renew(lockKey, this.#owner, this.settings.leaseMs)]).then(
        ([hold, renewed]) => {
          heldMidTurn ||= hold !== undefined;
          lockLost ||= !renewed;
          const why = hold !== undefined ? 'by a hold set on the conversation' : 'as the turn lock was lost';
          if (hold !== undefined || !renewed) controller.abort(new ConnectlyAbortError('invoke', why));
        },
        () => undefined, // the store is unreachable: the sends' own checks stop the turn
      );
    }, WATCH_MS);
    watch.unref?.();
    try {
      const session = this.options.agent.session({ clientKey });
      let events;
      try {
        events = await session.reply(input, { signal: controller.signal });
      } catch (error) {
        if (lockLost && !heldMidTurn) {
          this.logger.warn(`The turn for ${key} lost its lock (not renewed within the lease): another replica runs it`);
          return false;
        }
        return await this.failed(key, ids, error, heldMidTurn);
      }
      this.#failures.delete(key);
      const reply = toWhatsAppMessages(events, this.options.mapping);
      for (const unmapped of reply.unmapped) this.logger.warn(`Not sent to ${clientKey}: ${unmapped.reason}`);
      const plan: ReplyPlan = {
        clientKey,
        messages: reply.messages,
        // [INFERRED] A conversation with no inbound time kept (only a person's replies waited) is treated
        // as outside the window: a customer message noted less than 24 hours ago is what opens it.
        template: reply.messages.length > 0 && (await persist(() => this.state.window(clientKey))) !== 'inside',
        choices: reply.choices,
        ...(reply.handover ? { handover: handoverReason(reply.handovers) } : {}),
      };
      // The reply may go out only if this turn is the first to answer each of its entries: the answers are
      // claimed, and the reply kept, in one step right before the first send, so a turn that takes over
      // after this process stops sends what is left of it.
      const token = randomUUID();
      const outbox = { token, entries: ids, payload: JSON.stringify(plan), messages: sendsOf(plan).length };
      const opened = await persist(() => store.openOutbox(key, outbox, { keepMs: this.settings.keepMs }));
      if (!opened.opened) {
        const why = opened.open
          ? 'another turn is sending a reply'
          : `${opened.taken.length} message(s) were answered meanwhile`;
        this.logger.log(`This reply to ${clientKey} is not sent: ${why}`);
        if (opened.taken.length > 0) await persist(() => store.ackInbox(key, opened.taken));
        return true;
      }
      return await this.deliver(key, lockKey, { ...outbox, states: sendsOf(plan).map(() => 'pending') }, plan);
    } finally {
      clearInterval(watch);
    }
  }

  /** Sends what is left of a reply a turn kept in the outbox and did not finish (its process stopped). */
  private async resume(key: string, lockKey: string, outbox: Outbox): Promise<boolean> {
    const plan = JSON.parse(outbox.payload) as ReplyPlan;
    const left = outbox.states.filter((state) => state === 'pending').length;
    const begun = outbox.states.filter((state) => state === 'sending').length;
    this.logger.warn(
      `Taking over the reply to ${plan.clientKey} of a turn that stopped: ${left} of ${outbox.states.length} message(s) ` +
        `left to send` +
        (begun > 0 ? `; ${begun} begun and not known to be sent are not sent again (at most once)` : ''),
    );
    return this.deliver(key, lockKey, outbox, plan);
  }

  /**
   * Sends the outbox's pending messages (a handover holds first), then closes it and removes its entries
   * from the inbox. False when the turn lock was lost: the outbox stays for the replica that holds it now.
   */
  private async deliver(key: string, lockKey: string, outbox: Outbox, plan: ReplyPlan): Promise<boolean> {
    const { store } = this.options;
    const { clientKey } = plan;
    // Nothing begun yet (or something left): the handover holds before the reply goes out, so no other
    // turn's reply can slip in after it; a reply wholly sent held already.
    const handing = plan.handover !== undefined && (outbox.states.length === 0 || outbox.states.includes('pending'));
    try {
      if (handing) await this.handOver(clientKey, plan.handover!);
      const { sent, lockLost } = await this.send(key, lockKey, outbox, plan);
      if (lockLost) return false;
      await persist(() => this.state.recordChoices(clientKey, sent, plan.choices));
      if (handing) await notify(this.options, this.logger, { clientKey, kind: 'handover', text: plan.handover! });
    } catch (error) {
      // The agent heard the turn: running it again would answer twice. The reply is given up, said loudly.
      this.logger.error(`The reply to ${clientKey} was not (wholly) sent: ${(error as Error).message}`);
    }
    // Once sent, the outbox closes and the entries leave the inbox, or the turn would run (and answer) again.
    await persist(() => store.closeOutbox(key, { token: outbox.token }));
    await persist(() => store.ackInbox(key, outbox.entries));
    return true;
  }

  // The agent's reply did not come back. Nothing was sent, so the turn is tried again (bounded), even when
  // the agent may have heard it: better it hears a message twice than the customer gets no answer. A turn
  // stopped by a hold is not tried again when the agent may have heard it: the person answers now.
  private async failed(key: string, ids: string[], error: unknown, held: boolean): Promise<boolean> {
    const notHeard = turnNotProcessed(error);
    if (held) {
      this.logger.log(`The turn for ${key} was stopped: the conversation was handed to a person`);
      if (!notHeard) await persist(() => this.options.store.ackInbox(key, ids));
      return false;
    }
    const attempts = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, attempts);
    const message = error instanceof Error ? error.message : String(error);
    if (attempts < MAX_ATTEMPTS) {
      this.logger.warn(`The turn for ${key} failed (attempt ${attempts}; tried again shortly): ${message}`);
      return false; // left in the inbox: the next sweep tries again
    }
    this.logger.error(`The turn for ${key} failed ${attempts} times and is dropped: ${message}`);
    this.#failures.delete(key);
    await persist(() => this.options.store.ackInbox(key, ids));
    return true;
  }

  /**
   * Each pending message of the outbox: the lock still ours and no hold, checked right before it goes out;
   * marked begun (by this sender alone) and recorded before it is sent, marked sent once Connectly took it.
   * [INFERRED] A message begun whose request's outcome is unknown (the process stopped in it) is not sent
   * again by a turn that takes over: at most once for that one message. Connectly documents no idempotency
   * key for sends, so sending it again could reach the customer twice; the window where it is lost instead
   * is between the mark and the request leaving this process.
   */
  private async send(
    key: string,
    lockKey: string,
    outbox: Outbox,
    plan: ReplyPlan,
  ): Promise<{ sent: Array<{ id: string; message: OutboundMessage }>; lockLost: boolean }> {
    const { store, messaging } = this.options;
    const { clientKey } = plan;
    const sender = randomUUID();
    const sent: Array<{ id: string; message: OutboundMessage }> = [];
    const mark = (index: number, state: 'sending' | 'sent'): Promise<boolean> =>
      persist(() => store.markOutbox(key, { token: outbox.token, index, state, sender }));
    for (const [index, message] of sendsOf(plan).entries()) {
      if (outbox.states[index] !== 'pending') continue;
      const [hold, ours] = await persist(() =>
        Promise.all([store.getHold(key), store.renew(lockKey, this.#owner, this.settings.leaseMs)]),
      );
      // The agent's own handover lets its reply out; any other hold stops it.
      const held = hold !== undefined && !(plan.handover !== undefined && hold.by === AGENT_HOLD);
      if (held || !ours) {
        this.logger.log(`Stopped the reply to ${clientKey}: ${held ? 'held for a person' : 'the turn lock was lost'}`);
        return { sent, lockLost: !held };
      }
      if (!(await mark(index, 'sending'))) continue; // another sender began it
      if (message === undefined) {
        const template = this.options.windowTemplate;
        if (!template) throw new ConnectlyOutsideWindowError(clientKey);
        const { id } = await messaging.sendTemplate({ to: clientKey, ...template, callbackData: markAutomated() });
        await mark(index, 'sent');
        this.logger.log(`Sent the template ${template.templateName} to ${clientKey}: outside the 24-hour window`);
        sent.push({ id, message: { text: template.templateName } });
        continue;
      }
      await persist(() => this.state.recordSend(clientKey, message));
      const { id } = await messaging.sendMessage({ to: clientKey, message, callbackData: markAutomated() });
      await mark(index, 'sent');
      sent.push({ id, message });
    }
    return { sent, lockLost: false };
  }

  // Holds the conversation for the agent's handover, for the reason it gave.
  private async handOver(clientKey: string, reason: string): Promise<void> {
    await persist(() => this.state.holdFor(clientKey, AGENT_HOLD, reason));
  }
}

/** What a turn keeps in the outbox to send its reply, or to have it sent by a turn that takes over. */
interface ReplyPlan {
  clientKey: string;
  messages: OutboundMessage[];
  /** Outside the 24-hour window: the configured template goes out instead of the messages. */
  template: boolean;
  choices: ReplyChoices;
  /** The agent's handover reason, when it handed over in this turn. */
  handover?: string;
}

/** The sends of a reply in order: the messages, or the one template (undefined) outside the window. */
function sendsOf(plan: ReplyPlan): Array<OutboundMessage | undefined> {
  return plan.template ? [undefined] : plan.messages;
}

function handoverReason(handovers: readonly unknown[]): string {
  return (
    handovers
      .map((handover) => (handover as { agentHandoverEvent?: { reason?: string } }).agentHandoverEvent?.reason)
      .find((text): text is string => typeof text === 'string' && text !== '') ?? 'The agent handed over'
  );
}

/**
 * Runs a store step that must not be skipped (what was sent is recorded, the hold is set), trying again
 * through a short outage of the store (a restart): up to 10 tries over about 10 s.
 */
export async function persist<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt).unref?.());
    }
  }
}

/** Tells the app's hook, logging (never throwing) what it throws. */
export async function notify(
  options: ConversationEngineOptions,
  logger: EngineLogger,
  notice: Parameters<NonNullable<ConversationEngineOptions['onHandover']>>[0],
): Promise<void> {
  try {
    await options.onHandover?.(notice);
  } catch (error) {
    logger.warn(`The handover hook failed for ${notice.clientKey}: ${(error as Error).message}`);
  }
}
