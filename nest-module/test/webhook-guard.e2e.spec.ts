// ConnectlyWebhookGuard in a real Nest app over HTTP: deliveries from the mock are verified over their
// raw bytes (text/plain and JSON alike), tampered or unsigned ones are refused with 401 before the handler.
import 'reflect-metadata';
import { Controller, HttpCode, type INestApplication, Logger, Post, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type InboundEvent, signWebhook } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  ConnectlyMessagingModule,
  ConnectlyMessagingService,
  ConnectlyModule,
  ConnectlyWebhook,
  ConnectlyWebhookGuard,
} from '../src/index.js';

const KEY = 'nest-messaging-key-77aa';
const SECRET = 'nest-webhook-secret';
const BODY = '{"sender":{"id":"+15550002222","channelType":"whatsapp"},"message":{"text":"Hi"}}';
const handled: InboundEvent[] = [];

@Controller('connectly')
class WebhookController {
  @Post('webhook')
  @HttpCode(200)
  @UseGuards(ConnectlyWebhookGuard)
  receive(@ConnectlyWebhook() event: InboundEvent): { ok: true } {
    handled.push(event);
    return { ok: true };
  }
}

async function appWith(mock: MockConnectlyServer, rawBody: boolean): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConnectlyModule.forRoot({
        apiKey: KEY,
        businessId: 'biz',
        baseUrl: mock.url,
        messaging: { webhookSecret: SECRET },
      }),
    ],
    controllers: [WebhookController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false, rawBody });
  await app.listen(0, '127.0.0.1');
  return app;
}

let mock: MockConnectlyServer;
beforeEach(async () => {
  handled.length = 0;
  mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: 'biz',
    messaging: { webhookSecret: SECRET, timeScale: 0.001 },
  });
  await mock.start();
});
afterEach(() => mock.stop());

function post(app: INestApplication, body: string, headers: Record<string, string>): Promise<Response> {
  return app
    .getUrl()
    .then((url) => fetch(`${url.replace('[::1]', '127.0.0.1')}/connectly/webhook`, { method: 'POST', body, headers }));
}

describe('ConnectlyWebhookGuard', () => {
  it.each([false, true])(
    'takes a signed delivery from the mock and hands over the typed event (rawBody: %s)',
    async (rawBody) => {
      const app = await appWith(mock, rawBody);
      try {
        const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
        const { created } = await app
          .get(ConnectlyMessagingService)
          .ensureWebhook({ topic: 'messages', address: `${url}/connectly/webhook` });
        expect(created).toBe(true);
        const delivery = await mock.customer('+15550002222').says('I want a festive gift');
        expect(delivery.attempts).toEqual([{ status: 200 }]);
        expect(handled).toEqual([
          expect.objectContaining({ kind: 'message', text: 'I want a festive gift', clientKey: '+15550002222' }),
        ]);
      } finally {
        await app.close();
      }
    },
  );

  it('verifies a JSON-typed delivery when the app keeps the raw body', async () => {
    const app = await appWith(mock, true);
    try {
      const response = await post(app, BODY, {
        'content-type': 'application/json',
        'x-connectly-hmac-sha256': signWebhook(BODY, SECRET),
      });
      expect(response.status).toBe(200);
      expect(handled).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('refuses a tampered body, a wrong signature and a missing one with 401, and never runs the handler', async () => {
    const app = await appWith(mock, false);
    try {
      const signature = signWebhook(BODY, SECRET);
      const tampered = await post(app, BODY.replace('Hi', 'Ho'), {
        'content-type': 'text/plain',
        'x-connectly-hmac-sha256': signature,
      });
      const wrong = await post(app, BODY, {
        'content-type': 'text/plain',
        'x-connectly-hmac-sha256': signWebhook(BODY, 'other'),
      });
      const missing = await post(app, BODY, { 'content-type': 'text/plain' });
      expect([tampered.status, wrong.status, missing.status]).toEqual([401, 401, 401]);
      expect(((await missing.json()) as { message: string }).message).toMatch(/no x-connectly-hmac-sha256 header/);
      expect(handled).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('answers 401 with one warning naming the fix when a JSON parser consumed the body without keeping its bytes', async () => {
    const app = await appWith(mock, false);
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const response = await post(app, BODY, {
        'content-type': 'application/json',
        'x-connectly-hmac-sha256': signWebhook(BODY, SECRET),
      });
      expect(response.status).toBe(401);
      expect(handled).toEqual([]);
      expect(warned.mock.calls).toEqual([[expect.stringMatching(/already parsed.*rawBody: true/)]]);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      warned.mockRestore();
      errors.mockRestore();
      await app.close();
    }
  });

  it('refuses a signed delivery older than webhookMaxAgeMs with 401 as a replay', async () => {
    const old = JSON.stringify({ ...JSON.parse(BODY), timestamp: String(Math.floor(Date.now() / 1000) - 120) });
    const headers = { 'content-type': 'text/plain', 'x-connectly-hmac-sha256': signWebhook(old, SECRET) };
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConnectlyModule.forRoot({
          apiKey: KEY,
          businessId: 'biz',
          baseUrl: mock.url,
          messaging: { webhookSecret: SECRET, webhookMaxAgeMs: 60_000 },
        }),
      ],
      controllers: [WebhookController],
    }).compile();
    const strict = moduleRef.createNestApplication({ logger: false });
    await strict.listen(0, '127.0.0.1');
    const lenient = await appWith(mock, false);
    try {
      const refused = await post(strict, old, headers);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { message: string }).message).toMatch(/replay/);
      expect((await post(lenient, old, headers)).status).toBe(200);
      expect(handled).toHaveLength(1);
    } finally {
      await strict.close();
      await lenient.close();
    }
  });

  it('fails the bootstrap without a webhook secret', async () => {
    const compiling = Test.createTestingModule({
      imports: [ConnectlyModule.forRoot({ apiKey: KEY, businessId: 'biz', messaging: { webhookSecret: '' } })],
    }).compile();
    await expect(compiling).rejects.toThrow(
      /ConnectlyModule options are invalid: `messaging.webhookSecret` is required/,
    );
  });

  it('without the messaging option, a guarded route fails with the fix and never runs the handler', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConnectlyModule.forRoot({ apiKey: KEY, businessId: 'biz', baseUrl: mock.url })],
      controllers: [WebhookController],
    }).compile();
    const errors: string[] = [];
    const app = moduleRef.createNestApplication({
      logger: { log() {}, warn() {}, error: (message: unknown) => errors.push(String(message)) } as never,
    });
    await app.listen(0, '127.0.0.1');
    try {
      const headers = { 'content-type': 'text/plain', 'x-connectly-hmac-sha256': signWebhook(BODY, SECRET) };
      expect((await post(app, BODY, headers)).status).toBe(500);
      expect(handled).toEqual([]);
      expect(errors.join('\n')).toContain('add `messaging: { webhookSecret }` to the ConnectlyModule options');
      expect(() => app.get(ConnectlyMessagingService).client).toThrow(/The Message API is not configured/);
    } finally {
      await app.close();
    }
  });

  it('the deprecated ConnectlyMessagingModule still verifies deliveries and fails without a secret', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConnectlyMessagingModule.forRoot({ apiKey: KEY, businessId: 'biz', baseUrl: mock.url, webhookSecret: SECRET }),
      ],
      controllers: [WebhookController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const headers = { 'content-type': 'text/plain', 'x-connectly-hmac-sha256': signWebhook(BODY, SECRET) };
      expect((await post(app, BODY, headers)).status).toBe(200);
      expect((await post(app, BODY, { ...headers, 'x-connectly-hmac-sha256': 'sha256=00' })).status).toBe(401);
      expect(handled).toHaveLength(1);
      expect(app.get(ConnectlyMessagingService).client.baseUrl).toBe(mock.url);
    } finally {
      await app.close();
    }
    await expect(
      Test.createTestingModule({
        imports: [ConnectlyMessagingModule.forRoot({ apiKey: KEY, businessId: 'biz', webhookSecret: '' })],
      }).compile(),
    ).rejects.toThrow(/ConnectlyMessagingModule options are invalid: `webhookSecret` is required/);
  });
});
