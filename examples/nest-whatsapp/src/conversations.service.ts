// The loop, one conversation per customer: inbound message → agent session → reply out through the
// Message API. A handover (or a person writing from Connectly's inbox) holds the conversation for a human
// until it is released; what was said meanwhile reaches the agent, in order, when it resumes.

import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type AgentSession,
  DeliveryDeduper,
  HandoverHolds,
  type InboundEvent,
  type ReplyChoices,
  isAutomatedEcho,
  keepChoices,
  markAutomated,
  sentChoices,
  type WhatsAppReply,
  toInputEvents,
  toWhatsAppMessages,
  turnNotProcessed,
} from 'connectly-agent-graph';
import { ConnectlyMessagingService, ConnectlyService } from 'nestjs-connectly';
import { HandoverDesk } from './handover-desk.service.js';

interface Conversation {
  session: AgentSession;
  // The latest choices offered, by the message that offered them: a tap names its message.
  choices: ReplyChoices;
  // Turns of one customer run one after the other, in arrival order.
  queue: Promise<void>;
}

@Injectable()
export class ConversationsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('WhatsApp');
  private readonly conversations = new Map<string, Conversation>();
  private readonly deliveries = new DeliveryDeduper();
  private readonly holds = new HandoverHolds();

  constructor(
    private readonly connectly: ConnectlyService,
    private readonly messaging: ConnectlyMessagingService,
    private readonly desk: HandoverDesk,
    private readonly config: ConfigService,
  ) {}

  /** With PUBLIC_URL set, registers (or updates) this app's webhook, with echoes so human replies are seen. */
  async onApplicationBootstrap(): Promise<void> {
    const publicUrl = this.config.get<string>('PUBLIC_URL');
    if (!publicUrl) return;
    const address = `${publicUrl.replace(/\/+$/, '')}/connectly/webhook`;
    const { created } = await this.messaging.ensureWebhook({
      topic: 'messages',
      address,
      configuration: { echo: true },
    });
    this.logger.log(`${created ? 'Registered' : 'Updated'} the Connectly webhook at ${address}`);
  }

  /**
   * Takes one verified delivery once (Connectly redelivers until it gets a 200, and may repeat): false for
   * a repeat. Otherwise resolves once its turn (if any) is done; a turn that failed before the agent heard
   * it lets a redelivery of the same delivery through.
   */
  receive(signature: string, event: InboundEvent): false | Promise<void> {
    if (!this.deliveries.claim(signature)) return false;
    return this.handle(event).then(
      () => this.deliveries.done(signature),
      (error: unknown) => {
        if (turnNotProcessed(error)) this.deliveries.release(signature);
        else this.deliveries.done(signature);
        throw error;
      },
    );
  }

  /** Takes one verified event; resolves once its turn (if any) is done. */
  handle(event: InboundEvent): Promise<void> {
    if (event.kind === 'status' || event.kind === 'other') return Promise.resolve();
    if (event.kind === 'echo') {
      // Everything this app sends carries the automation mark: an echo without it is a person talking.
      if (!isAutomatedEcho(event)) this.holds.recordHumanReply(event.clientKey, event.message.text ?? '');
      return Promise.resolve();
    }
    const conversation = this.conversation(event.clientKey);
    const turn = conversation.queue.then(() => this.turn(event.clientKey, conversation, event));
    conversation.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Gives a held conversation back to the agent; what was said meanwhile goes with the customer's next message. */
  release(clientKey: string): { released: boolean; pendingEvents: number } {
    return this.holds.resume(clientKey);
  }

  /** Resolves once every turn of this customer taken so far has finished. */
  settled(clientKey: string): Promise<void> {
    return this.conversations.get(clientKey)?.queue ?? Promise.resolve();
  }

  isHeld(clientKey: string): boolean {
    return this.holds.isHeld(clientKey);
  }

  private conversation(clientKey: string): Conversation {
    let conversation = this.conversations.get(clientKey);
    if (!conversation) {
      conversation = {
        session: this.connectly.session({ clientKey }),
        choices: {},
        queue: Promise.resolve(),
      };
      this.conversations.set(clientKey, conversation);
    }
    return conversation;
  }

  private async turn(clientKey: string, conversation: Conversation, event: InboundEvent): Promise<void> {
    const said = event.kind === 'button' ? event.title : event.kind === 'message' ? (event.text ?? '[media]') : '';
    const customerEvents = toInputEvents(event, conversation.choices);
    if (this.holds.recordCustomerMessage(clientKey, customerEvents)) {
      await this.desk.notify({ clientKey, kind: 'customer-message', text: said });
      return;
    }
    if (customerEvents.length === 0) return;
    const pending = this.holds.takePending(clientKey);
    let reply: WhatsAppReply;
    try {
      reply = toWhatsAppMessages(await conversation.session.reply([...pending, ...customerEvents]));
    } catch (error) {
      // What was said meanwhile goes with the next turn, unless the agent may have heard it already.
      if (turnNotProcessed(error)) this.holds.restore(clientKey, pending);
      throw error;
    }
    for (const unmapped of reply.unmapped) this.logger.warn(`Not sent to ${clientKey}: ${unmapped.reason}`);
    const sent = await this.messaging.sendReply(clientKey, reply, { callbackData: markAutomated() });
    conversation.choices = keepChoices(conversation.choices, sentChoices(sent));
    if (reply.handover) {
      const reason = reply.handovers
        .map((handover) => (handover as { agentHandoverEvent?: { reason?: string } }).agentHandoverEvent?.reason)
        .find(Boolean);
      this.holds.hold(clientKey, reason);
      await this.desk.notify({
        clientKey,
        kind: 'handover',
        text: `${reason ?? 'The agent handed over'} (customer said: “${said}”)`,
      });
    }
  }
}
