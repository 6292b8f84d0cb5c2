// The injectable face of the Message API client: send messages, templates and the agent's whole reply,
// and keep the webhook registration in place.

import { Inject, Injectable, Optional } from '@nestjs/common';
import type {
  AgentEvent,
  AgentReply,
  ConnectlyMessagingClient,
  MessageSent,
  MessagingCallOptions,
  Recipient,
  ReplySent,
  SendReplyOptions,
  SessionMessageRequest,
  TemplateMessageRequest,
  WebhookConfiguration,
  WebhookTopic,
  WhatsAppReply,
} from 'connectly-agent-graph';
import { CONNECTLY_MESSAGING_CLIENT } from '../connectly.constants.js';
import { messagingNotConfigured } from './messaging.options.js';

@Injectable()
export class ConnectlyMessagingService {
  readonly #client: ConnectlyMessagingClient | undefined;

  constructor(@Optional() @Inject(CONNECTLY_MESSAGING_CLIENT) client?: ConnectlyMessagingClient) {
    this.#client = client ?? undefined;
  }

  /** The core client; without the module's `messaging` option, a ConnectlyValidationError naming the fix. */
  get client(): ConnectlyMessagingClient {
    if (this.#client === undefined) throw messagingNotConfigured();
    return this.#client;
  }

  /** Sends the agent's reply to the customer as WhatsApp messages, in order; see `ConnectlyMessagingClient.sendReply`. */
  sendReply(
    to: Recipient,
    reply: readonly AgentEvent[] | AgentReply | WhatsAppReply,
    options?: SendReplyOptions,
  ): Promise<ReplySent> {
    return this.client.sendReply(to, reply, options);
  }

  sendMessage(request: SessionMessageRequest, options?: MessagingCallOptions): Promise<MessageSent> {
    return this.client.sendMessage(request, options);
  }

  sendTemplate(request: TemplateMessageRequest, options?: MessagingCallOptions): Promise<MessageSent> {
    return this.client.sendTemplate(request, options);
  }

  /** Registers `address` for `topic`, or updates the registration that exists. */
  ensureWebhook(
    request: { topic: WebhookTopic; address: string; configuration?: WebhookConfiguration },
    options?: MessagingCallOptions,
  ): Promise<{ id: string; created: boolean }> {
    return this.client.ensureWebhook(request, options);
  }
}
