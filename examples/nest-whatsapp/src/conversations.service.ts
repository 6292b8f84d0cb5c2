// The app's side of the loop the engine runs: at startup it registers the webhook (with echoes, so a
// person's replies from Connectly's inbox are seen) and sends the engine's handover notices to the desk.

import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ConnectlyConversations, ConnectlyMessagingService } from 'nestjs-connectly';
import { HandoverDesk } from './handover-desk.service.js';

@Injectable()
export class ConversationsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('WhatsApp');

  constructor(
    private readonly conversations: ConnectlyConversations,
    private readonly messaging: ConnectlyMessagingService,
    private readonly desk: HandoverDesk,
    private readonly config: ConfigService,
  ) {
    this.conversations.onHandover((notice) => this.desk.notify(notice));
  }

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
}
