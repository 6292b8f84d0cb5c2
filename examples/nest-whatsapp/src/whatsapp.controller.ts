// The loop's HTTP face: Connectly's webhook, handed raw to the conversation engine, which answers once the
// delivery is safe in the store (the agent's turn runs after the answer, on this replica or another), and
// the desk's release of a handed-over conversation (with the desk's token).

import { Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ConnectlyConversations, type ConversationRequest } from 'nestjs-connectly';
import { DeskTokenGuard } from './desk-token.guard.js';

@Controller()
export class WhatsAppController {
  constructor(private readonly conversations: ConnectlyConversations) {}

  @Post('connectly/webhook')
  async receive(
    @Req() request: ConversationRequest,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ): Promise<{ outcome: string }> {
    const result = await this.conversations.receive(request);
    response.status(result.status);
    return { outcome: result.outcome };
  }

  @Post('handover/:clientKey/release')
  @HttpCode(200)
  @UseGuards(DeskTokenGuard)
  release(@Param('clientKey') clientKey: string): Promise<{ released: boolean; pendingEvents: number }> {
    return this.conversations.release(clientKey);
  }
}
