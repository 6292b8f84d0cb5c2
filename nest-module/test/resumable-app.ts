// The app of the resumable-reply tests: a Nest replica with ConnectlyTurns routes (start, events, stop)
// on 127.0.0.1, its sessions and turn logs in a shared Redis, and a page that reads a reply with EventSource.
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  type INestApplication,
  type LoggerService,
  type MessageEvent,
  Param,
  Post,
  Query,
  Sse,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RedisSessionStore, RedisTurnLogStore } from 'connectly-session-redis';
import type { Observable } from 'rxjs';
import { ConnectlyModule, ConnectlyService, ConnectlyTurns } from '../src/index.js';

export const KEY = 'nest-resumable-key-7d1e';
// Small, so a slow reader reaches it soon after the socket buffers are full.
const CAP = 64 * 1024;

// `ask` starts a turn and follows it; `follow` reads a turn with EventSource (which reconnects by itself
// with Last-Event-ID) and closes it on the closing event. `window.ids` lists every event id received,
// `#out` the reply's text.
const PAGE = `<!doctype html><meta charset="utf-8"><title>resumable</title><pre id="out"></pre><script>
window.ids = []; window.opens = 0;
async function ask(text) {
  const response = await fetch('/turns', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientKey: 'browser', text }) });
  const { turnId } = await response.json();
  follow(turnId);
}
function follow(turnId) {
  const source = new EventSource('/turns/' + turnId + '/events');
  source.onopen = () => { window.opens += 1; };
  source.addEventListener('messageEvent', (e) => {
    window.ids.push(e.lastEventId);
    document.getElementById('out').textContent += JSON.parse(e.data).messageEvent.content.textContent.text + ' ';
  });
  for (const type of ['connectly.done', 'connectly.error']) source.addEventListener(type, (e) => {
    window.ids.push(e.lastEventId);
    source.close();
    document.body.dataset.end = type;
  });
}
</script>`;

@Controller()
class TurnsController {
  constructor(
    private readonly connectly: ConnectlyService,
    private readonly turns: ConnectlyTurns,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Post('turns')
  start(@Body() body: { clientKey: string; text: string }): Promise<{ turnId: string }> {
    return this.turns.start(() => this.connectly.session({ clientKey: body.clientKey }).send(body.text));
  }

  @Sse('turns/:turnId/events', { maxPendingDataLength: CAP })
  events(
    @Param('turnId') turnId: string,
    @Headers('last-event-id') header?: string,
    @Query('lastEventId') query?: string,
  ): Observable<MessageEvent> {
    return this.turns.sse(turnId, header ?? query);
  }

  @Post('turns/:turnId/stop')
  @HttpCode(200)
  async stop(@Param('turnId') turnId: string): Promise<{ stopped: boolean }> {
    return { stopped: await this.turns.stop(turnId) };
  }
}

/** Collects Nest's warnings, to know when it dropped a client that is not reading (one for all apps: Nest's logger is global). */
class Warnings implements LoggerService {
  readonly seen: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.seen.push(String(message));
  }
}

export const warnings = new Warnings();

export interface Replica {
  app: INestApplication;
  base: string;
}

/** One replica on 127.0.0.1:0; replicas given the same `prefix` share sessions and turns. */
export async function startReplica(options: {
  baseUrl: string;
  redisUrl: string;
  prefix: string;
  leaseMs?: number;
}): Promise<Replica> {
  const { baseUrl, redisUrl, prefix, leaseMs = 1500 } = options;
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConnectlyModule.forRoot({
        apiKey: KEY,
        businessId: 'biz',
        baseUrl,
        sessionStore: () => new RedisSessionStore({ url: redisUrl, prefix }),
        resumable: { store: () => new RedisTurnLogStore({ url: redisUrl, prefix }), leaseMs },
      }),
    ],
    controllers: [TurnsController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: warnings });
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
