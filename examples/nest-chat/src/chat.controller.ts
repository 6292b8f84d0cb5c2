// The chat API: find or start a visitor's conversation, stream a turn as SSE, and the one-page UI.
// The conversation is found by client key in the session store, so any instance can take any turn.

import { Body, Controller, Get, Header, type MessageEvent, Post, Query, Sse } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHandoverEvent } from 'connectly-agent-graph';
import { ConnectlyService, toSse } from 'nestjs-connectly';
import type { Observable } from 'rxjs';

const PAGE = readFileSync(join(__dirname, '..', 'public', 'index.html'), 'utf8');

@Controller()
export class ChatController {
  constructor(private readonly connectly: ConnectlyService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  /** Finds or starts a visitor's conversation; the page keeps the returned ids. */
  @Post('api/session')
  async start(@Body() body: { clientKey?: string }): Promise<{ clientKey: string; sessionId: string }> {
    const clientKey =
      typeof body?.clientKey === 'string' && body.clientKey ? body.clientKey : `web-${Date.now().toString(36)}`;
    const sessionId = await this.connectly.session({ clientKey }).start();
    return { clientKey, sessionId };
  }

  /** One turn of the visitor's conversation, streamed to the browser as server-sent events. */
  @Sse('api/chat')
  chat(@Query('clientKey') clientKey: string, @Query('text') text: string): Observable<MessageEvent> {
    return toSse(() => this.connectly.session({ clientKey }).send(text), {
      heartbeatMs: 15_000,
      // Every handover kind, including ones added later, reaches the page as one `handover` event.
      mapEvent: (event, index) => ({
        type: isHandoverEvent(event) ? 'handover' : event.type,
        id: String(index + 1),
        data: event,
      }),
    });
  }
}
