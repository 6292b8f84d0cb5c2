// The whole loop's HTTP face: Connectly's webhook (verified by the guard, answered 200 at once, the
// turn run afterwards) and the desk's release of a handed-over conversation (with the desk's token).

import { Controller, Headers, HttpCode, Logger, Param, Post, UseGuards } from '@nestjs/common';
import type { InboundEvent } from 'connectly-agent-graph';
import { ConnectlyWebhook, ConnectlyWebhookGuard } from 'nestjs-connectly';
import { ConversationsService } from './conversations.service.js';
import { DeskTokenGuard } from './desk-token.guard.js';

@Controller()
export class WhatsAppController {
  private readonly logger = new Logger('WhatsApp');

  constructor(private readonly conversations: ConversationsService) {}

  @Post('connectly/webhook')
  @HttpCode(200)
  @UseGuards(ConnectlyWebhookGuard)
  receive(
    @ConnectlyWebhook() event: InboundEvent,
    @Headers('x-connectly-hmac-sha256') signature: string,
  ): { ok: true } {
    // Connectly wants its 200 before the work: the agent's turn runs after the answer.
    const turn = this.conversations.receive(signature, event);
    if (turn) turn.catch((error: unknown) => this.logger.error(`Turn failed: ${(error as Error).message}`));
    return { ok: true };
  }

  @Post('handover/:clientKey/release')
  @HttpCode(200)
  @UseGuards(DeskTokenGuard)
  release(@Param('clientKey') clientKey: string): { released: boolean; pendingEvents: number } {
    return this.conversations.release(clientKey);
  }
}
