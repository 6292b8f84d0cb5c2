// Where handed-over conversations reach a human: a Slack-style incoming webhook (HUMAN_NOTIFY_URL) when
// configured, the log otherwise; every notification is also kept for the desk's own page or a test.

import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

export interface DeskNotification {
  clientKey: string;
  kind: 'handover' | 'customer-message' | 'human-reply';
  text: string;
}

@Injectable()
export class HandoverDesk {
  readonly notifications: DeskNotification[] = [];
  private readonly logger = new Logger('HandoverDesk');

  constructor(private readonly config: ConfigService) {}

  async notify(notification: DeskNotification): Promise<void> {
    this.notifications.push(notification);
    const url = this.config.get<string>('HUMAN_NOTIFY_URL');
    if (!url) {
      this.logger.log(`[${notification.kind}] ${notification.clientKey}: ${notification.text}`);
      return;
    }
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `*${notification.clientKey}* (${notification.kind}): ${notification.text}` }),
    });
    if (!response.ok) this.logger.warn(`The human notification webhook answered ${response.status}`);
  }
}
