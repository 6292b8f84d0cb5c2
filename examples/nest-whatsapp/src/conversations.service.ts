// The loop, one conversation per customer: inbound message → agent session → reply out through the
// Message API. A handover holds the conversation for a human until it is released; what the human
// sent meanwhile (seen as echoes) reaches the agent as assistant messages when it resumes.

import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type AgentSession,
  type InboundEvent,
  type OutboundMessage,
  type ReplyChoices,
  assistantText,
  toInputEvents,
  toWhatsAppMessages,
} from 'connectly-agent-graph';
import { ConnectlyMessagingService, ConnectlyService } from 'nestjs-connectly';
import { HandoverDesk } from './handover-desk.service.js';

interface Conversation {
  session: AgentSession;
  choices: ReplyChoices;
  held: boolean;
  humanMessages: string[];
  // Messages this app sent and whose echo has not come back yet: their echoes are not a human's.
  ours: string[];
  // Turns of one customer run one after the other, in arrival order.
  queue: Promise<void>;
}

const SEEN_LIMIT = 1000;

function echoKey(message: object): string {
  const { isEcho: _, ...content } = message as { isEcho?: unknown };
  return JSON.stringify(content);
}

@Injectable()
export class ConversationsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('WhatsApp');
  private readonly conversations = new Map<string, Conversation>();
  private readonly seen = new Set<string>();

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

  /** False for a delivery already taken (Connectly redelivers until it gets a 200, and may repeat). */
  firstDelivery(signature: string): boolean {
    if (this.seen.has(signature)) return false;
    this.seen.add(signature);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }

  /** Takes one verified event; resolves once its turn (if any) is done. */
  handle(event: InboundEvent): Promise<void> {
    if (event.kind === 'status' || event.kind === 'other') return Promise.resolve();
    const conversation = this.conversation(event.clientKey);
    if (event.kind === 'echo') {
      const index = conversation.ours.indexOf(echoKey(event.message));
      if (index !== -1) conversation.ours.splice(index, 1);
      else if (conversation.held && event.message.text) conversation.humanMessages.push(event.message.text);
      return Promise.resolve();
    }
    const turn = conversation.queue.then(() => this.turn(event.clientKey, conversation, event));
    conversation.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Gives a held conversation back to the agent. */
  release(clientKey: string): { released: boolean; humanMessages: number } {
    const conversation = this.conversations.get(clientKey);
    if (!conversation?.held) return { released: false, humanMessages: 0 };
    conversation.held = false;
    return { released: true, humanMessages: conversation.humanMessages.length };
  }

  /** Resolves once every turn of this customer taken so far has finished. */
  settled(clientKey: string): Promise<void> {
    return this.conversations.get(clientKey)?.queue ?? Promise.resolve();
  }

  isHeld(clientKey: string): boolean {
    return this.conversations.get(clientKey)?.held ?? false;
  }

  private conversation(clientKey: string): Conversation {
    let conversation = this.conversations.get(clientKey);
    if (!conversation) {
      conversation = {
        session: this.connectly.session({ clientKey }),
        choices: {},
        held: false,
        humanMessages: [],
        ours: [],
        queue: Promise.resolve(),
      };
      this.conversations.set(clientKey, conversation);
    }
    return conversation;
  }

  private async turn(clientKey: string, conversation: Conversation, event: InboundEvent): Promise<void> {
    const said = event.kind === 'button' ? event.title : event.kind === 'message' ? (event.text ?? '[media]') : '';
    if (conversation.held) {
      await this.desk.notify({ clientKey, kind: 'customer-message', text: said });
      return;
    }
    const inputEvents = [
      ...conversation.humanMessages.map(assistantText),
      ...toInputEvents(event, conversation.choices),
    ];
    if (inputEvents.length === conversation.humanMessages.length) return;
    conversation.humanMessages = [];
    const reply = toWhatsAppMessages(await conversation.session.reply(inputEvents));
    for (const unmapped of reply.unmapped) this.logger.warn(`Not sent to ${clientKey}: ${unmapped.reason}`);
    conversation.ours.push(...reply.messages.map((message: OutboundMessage) => echoKey(message)));
    await this.messaging.sendReply(clientKey, reply);
    if (Object.keys(reply.choices).length > 0) conversation.choices = reply.choices;
    if (reply.handover) {
      conversation.held = true;
      const reason = reply.handovers
        .map((handover) => (handover as { agentHandoverEvent?: { reason?: string } }).agentHandoverEvent?.reason)
        .find(Boolean);
      await this.desk.notify({
        clientKey,
        kind: 'handover',
        text: `${reason ?? 'The agent handed over'} (customer said: “${said}”)`,
      });
    }
  }
}
