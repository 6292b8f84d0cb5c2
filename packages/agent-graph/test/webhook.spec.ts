// Webhook verification over the raw bytes and the typed inbound events, including deliveries made by the mock over HTTP.
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  type AgentEvent,
  ConnectlyProtocolError,
  ConnectlyValidationError,
  DEFAULT_WEBHOOK_MAX_AGE_MS,
  ConnectlyWebhookSignatureError,
  type InboundEvent,
  type WhatsAppReply,
  choiceKey,
  isAutomatedEcho,
  keepChoices,
  markAutomated,
  parseWebhook,
  readWebhook,
  sentChoices,
  signWebhook,
  toInputEvents,
  toWhatsAppMessages,
  verifyWebhookSignature,
  webhookSignature,
} from '../src/index.js';

// The worked vector of connectly-messaging.md §3.
const VECTOR_BODY =
  '{"timestamp":"1639083206","sender":{"id":"+16315555500","channelType":"whatsapp"},"recipient":{"id":"123456123","channelType":"whatsapp"},"message":{"text":"TEST 11"}}';
const VECTOR_SIGNATURE = 'wAaiK4mFaMBtIczDXcYdHGzSMSwLCwrJTXkbn5+emJc=';
const VECTOR_TIME = 1639083206 * 1000;

describe('signature verification', () => {
  it('matches the worked vector over a string, a Buffer and an ArrayBuffer', () => {
    const buffer = Buffer.from(VECTOR_BODY);
    expect(signWebhook(VECTOR_BODY, 'test-secret')).toBe(VECTOR_SIGNATURE);
    expect(verifyWebhookSignature(VECTOR_BODY, VECTOR_SIGNATURE, 'test-secret')).toBe(true);
    expect(verifyWebhookSignature(buffer, VECTOR_SIGNATURE, 'test-secret')).toBe(true);
    const copy = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length);
    expect(verifyWebhookSignature(copy, VECTOR_SIGNATURE, 'test-secret')).toBe(true);
  });

  it('refuses another secret, one changed byte, re-serialised JSON, and malformed or missing signatures', () => {
    expect(verifyWebhookSignature(VECTOR_BODY, VECTOR_SIGNATURE, 'other-secret')).toBe(false);
    expect(verifyWebhookSignature(VECTOR_BODY.replace('11', '12'), VECTOR_SIGNATURE, 'test-secret')).toBe(false);
    expect(
      verifyWebhookSignature(JSON.stringify(JSON.parse(VECTOR_BODY), null, 1), VECTOR_SIGNATURE, 'test-secret'),
    ).toBe(false);
    expect(verifyWebhookSignature(VECTOR_BODY, VECTOR_SIGNATURE.slice(0, -2), 'test-secret')).toBe(false);
    expect(verifyWebhookSignature(VECTOR_BODY, 'not base64 at all!', 'test-secret')).toBe(false);
    expect(verifyWebhookSignature(VECTOR_BODY, undefined, 'test-secret')).toBe(false);
  });

  it('names the fix when given an already-parsed body or no body', () => {
    const parsed = JSON.parse(VECTOR_BODY) as unknown;
    expect(() => verifyWebhookSignature(parsed as string, VECTOR_SIGNATURE, 'test-secret')).toThrow(
      ConnectlyValidationError,
    );
    expect(() => verifyWebhookSignature(parsed as string, VECTOR_SIGNATURE, 'test-secret')).toThrow(
      /already parsed.*rawBody: true/,
    );
    expect(() =>
      parseWebhook(undefined as unknown as string, { 'x-connectly-hmac-sha256': VECTOR_SIGNATURE }, 'test-secret'),
    ).toThrow(/no raw body/);
  });

  it('requires a secret', () => {
    expect(() => verifyWebhookSignature(VECTOR_BODY, VECTOR_SIGNATURE, '')).toThrow(/webhookSecret/);
  });

  it('reads the header whatever its case or container', () => {
    expect(webhookSignature({ 'X-Connectly-Hmac-Sha256': 'a' })).toBe('a');
    expect(webhookSignature({ 'x-connectly-hmac-sha256': ['b', 'c'] })).toBe('b');
    expect(webhookSignature(new Headers({ 'X-CONNECTLY-HMAC-SHA256': 'd' }))).toBe('d');
    expect(webhookSignature({})).toBeUndefined();
  });

  it('parseWebhook throws a typed error for a missing or wrong signature, before parsing', () => {
    const missing = (): unknown => parseWebhook('not json', {}, 'test-secret');
    expect(missing).toThrow(ConnectlyWebhookSignatureError);
    expect(missing).toThrow(/no x-connectly-hmac-sha256 header/);
    const wrong = (): unknown =>
      parseWebhook('not json', { 'x-connectly-hmac-sha256': VECTOR_SIGNATURE }, 'test-secret');
    expect(wrong).toThrow(expect.objectContaining({ reason: 'mismatch' }) as Error);
    const signedGarbage = signWebhook('not json', 'test-secret');
    expect(() => parseWebhook('not json', { 'x-connectly-hmac-sha256': signedGarbage }, 'test-secret')).toThrow(
      ConnectlyProtocolError,
    );
    const atVectorTime = { now: () => VECTOR_TIME };
    expect(
      parseWebhook(VECTOR_BODY, { 'x-connectly-hmac-sha256': VECTOR_SIGNATURE }, 'test-secret', atVectorTime),
    ).toMatchObject({ kind: 'message', text: 'TEST 11', clientKey: '+16315555500' });
  });

  it('refuses an unsigned request as unsigned whatever its body became (a parsed JSON or form object, nothing)', () => {
    for (const body of [{ sender: { id: '+1' } }, { 'a=b': '' }, undefined]) {
      expect(() => parseWebhook(body as unknown as string, {}, 'test-secret')).toThrow(
        expect.objectContaining({ reason: 'missing' }) as Error,
      );
    }
  });
});

describe('the signed timestamp', () => {
  const headers = { 'x-connectly-hmac-sha256': VECTOR_SIGNATURE };

  it('refuses a captured delivery replayed later: older than 5 minutes by default, or as far ahead', () => {
    const at = (ms: number) => ({ now: () => VECTOR_TIME + ms });
    expect(parseWebhook(VECTOR_BODY, headers, 'test-secret', at(5 * 60 * 1000)).kind).toBe('message');
    expect(parseWebhook(VECTOR_BODY, headers, 'test-secret', at(-5 * 60 * 1000)).kind).toBe('message');
    const replay = (): unknown => parseWebhook(VECTOR_BODY, headers, 'test-secret', at(5 * 60 * 1000 + 1000));
    expect(replay).toThrow(ConnectlyWebhookSignatureError);
    expect(replay).toThrow(expect.objectContaining({ reason: 'stale' }) as Error);
    expect(replay).toThrow(/replay of an old delivery.*maxAgeMs/);
    expect(() => parseWebhook(VECTOR_BODY, headers, 'test-secret', at(-6 * 60 * 1000))).toThrow(/replay/);
    // The 2021 delivery of the worked vector, today.
    expect(() => parseWebhook(VECTOR_BODY, headers, 'test-secret')).toThrow(/replay/);
    expect(DEFAULT_WEBHOOK_MAX_AGE_MS).toBe(5 * 60 * 1000);
  });

  it('takes the age from maxAgeMs, and reads the ISO 8601 timestamp of report deliveries', () => {
    const hour = { maxAgeMs: 60 * 60 * 1000, now: () => VECTOR_TIME + 30 * 60 * 1000 };
    expect(parseWebhook(VECTOR_BODY, headers, 'test-secret', hour).kind).toBe('message');
    const report = JSON.stringify({ topic: 'report', timestamp: '2021-12-09T20:53:26Z', report: { id: 'r1' } });
    const reportHeaders = { 'x-connectly-hmac-sha256': signWebhook(report, 'test-secret') };
    expect(parseWebhook(report, reportHeaders, 'test-secret', { now: () => VECTOR_TIME }).kind).toBe('other');
    expect(() => parseWebhook(report, reportHeaders, 'test-secret')).toThrow(/replay/);
    expect(() => parseWebhook(VECTOR_BODY, headers, 'test-secret', { maxAgeMs: 0 })).toThrow(ConnectlyValidationError);
  });

  it('refuses an unreadable timestamp, and takes a delivery that carries none', () => {
    const sign = (payload: unknown) => {
      const body = JSON.stringify(payload);
      return [body, { 'x-connectly-hmac-sha256': signWebhook(body, 'test-secret') }] as const;
    };
    const message = { sender: { id: '+16315555500' }, message: { text: 'hi' } };
    expect(() => parseWebhook(...sign({ ...message, timestamp: 'yesterday' }), 'test-secret')).toThrow(/replay/);
    expect(parseWebhook(...sign(message), 'test-secret').kind).toBe('message');
  });
});

describe('inbound payloads', () => {
  const sender = { id: '+16315555500', channelType: 'whatsapp', name: 'Vasi' };
  const recipient = { id: '+16044441234', channelType: 'whatsapp' };

  it('reads a text message, with nulls and empty arrays treated as absent', () => {
    const event = readWebhook({
      timestamp: '1',
      sender,
      recipient,
      message: { text: 'Hello!' },
      attachments: [],
      location: null,
    });
    expect(event).toMatchObject({
      kind: 'message',
      text: 'Hello!',
      attachments: [],
      location: undefined,
      clientKey: '+16315555500',
    });
    expect(toInputEvents(event)).toEqual([
      { messageEvent: { role: 'USER', content: { textContent: { text: 'Hello!' } } } },
    ]);
  });

  it('reads media: images and audio go to the agent as such, video and documents as a text with the link', () => {
    const media = (type: string): InboundEvent =>
      readWebhook({ sender, recipient, message: { attachments: [{ type, url: `https://cdn/${type}` }] } });
    expect(toInputEvents(media('image'))).toEqual([
      { messageEvent: { role: 'USER', content: { imageContent: { url: 'https://cdn/image' } } } },
    ]);
    expect(toInputEvents(media('audio'))).toEqual([
      { messageEvent: { role: 'USER', content: { audioContent: { url: 'https://cdn/audio' } } } },
    ]);
    expect(toInputEvents(media('document'))).toEqual([
      { messageEvent: { role: 'USER', content: { textContent: { text: '[document: https://cdn/document]' } } } },
    ]);
  });

  it('keeps the ad referral and the quoted message', () => {
    const event = readWebhook({
      sender,
      recipient,
      context: { replyToId: 'm1' },
      message: { text: 'hi', referral: { sourceType: 'ad', ctwaClid: 'c1' } },
    });
    expect(event).toMatchObject({ kind: 'message', replyToId: 'm1', referral: { sourceType: 'ad', ctwaClid: 'c1' } });
  });

  it.each([
    [
      'current',
      { context: { replyToId: 'm1' }, buttonResponse: { text: 'Yes', payload: 'wrap-yes' } },
      'wrap-yes',
      'm1',
    ],
    [
      '2022 create example',
      { topic: 'messages', buttonResponse: { text: 'Yes', id: 'm1', payload: 'wrap-yes' } },
      'wrap-yes',
      'm1',
    ],
    ['legacy', { message: { text: 'Yes', isButtonResponse: true } }, 'Yes', undefined],
  ])('reads the %s button-reply shape', (_, shape, id, replyToId) => {
    const event = readWebhook({ sender, recipient, ...shape });
    expect(event).toMatchObject({ kind: 'button', id, title: 'Yes', replyToId });
    expect(toInputEvents(event)).toEqual([{ buttonResponseEvent: { id, title: 'Yes' } }]);
  });

  it('turns taps on suggestions into the full question and list picks into list replies', () => {
    const tap = (id: string): InboundEvent =>
      readWebhook({ sender, recipient, buttonResponse: { text: 'Short…', payload: id } });
    const choices = {
      'sugg:0': { kind: 'suggestion' as const, text: 'What are your most popular festive gifts this year?' },
      'row-1': { kind: 'list' as const, text: 'Scarf', description: 'Silk' },
    };
    expect(toInputEvents(tap('sugg:0'), choices)).toEqual([
      {
        messageEvent: {
          role: 'USER',
          content: { textContent: { text: 'What are your most popular festive gifts this year?' } },
        },
      },
    ]);
    expect(toInputEvents(tap('row-1'), choices)).toEqual([
      { listReplyEvent: { id: 'row-1', title: 'Scarf', description: 'Silk' } },
    ]);
  });

  it('resolves a tap on an older message against the choices of THAT message, not the newest reply', () => {
    const suggestions = (...suggestedQuestions: string[]) =>
      toWhatsAppMessages([
        { type: 'chatSuggestionEvent', chatSuggestionEvent: { suggestedQuestions }, known: true } as AgentEvent,
      ]);
    const older = suggestions('Do you gift-wrap?', 'What is your return policy?');
    const newer = suggestions('Show me gift ideas', 'Talk to a human');
    const sent = (reply: WhatsAppReply, id: string) => ({
      ...reply,
      sent: reply.messages.map((message) => ({ id, message })),
    });
    const kept = keepChoices(sentChoices(sent(older, 'wamid-older')), sentChoices(sent(newer, 'wamid-newer')));
    const tap = (replyToId: string | undefined): InboundEvent =>
      readWebhook({
        sender,
        recipient,
        ...(replyToId ? { context: { replyToId } } : {}),
        buttonResponse: { text: 'Short…', payload: 'sugg:1' },
      });
    const question = (text: string) => [{ messageEvent: { role: 'USER', content: { textContent: { text } } } }];
    expect(toInputEvents(tap('wamid-older'), kept)).toEqual(question('What is your return policy?'));
    expect(toInputEvents(tap('wamid-newer'), kept)).toEqual(question('Talk to a human'));
    // A message whose choices are not kept: the tap goes as the button itself, never as another reply's choice.
    expect(toInputEvents(tap('wamid-unknown'), kept)).toEqual([
      { buttonResponseEvent: { id: 'sugg:1', title: 'Short…' } },
    ]);
    // A tap that names no message (the legacy shape): the newest offer.
    expect(toInputEvents(tap(undefined), kept)).toEqual(question('Talk to a human'));
    expect(choiceKey('wamid-older', 'sugg:1') in kept).toBe(true);
  });

  it('keeps the newest choices: at most 50 by default, a choice offered again counted as new', () => {
    const choice = (text: string) => ({ kind: 'suggestion' as const, text });
    let kept = keepChoices({}, { again: choice('first offer') });
    for (let i = 0; i < 49; i += 1) kept = keepChoices(kept, { [`row-${i}`]: choice(`row ${i}`) });
    kept = keepChoices(kept, { again: choice('offered again') });
    kept = keepChoices(kept, { last: choice('last') });
    expect(Object.keys(kept)).toHaveLength(50);
    expect(kept['again']).toEqual(choice('offered again'));
    expect(kept['row-0']).toBeUndefined();
    expect(kept['row-1']).toEqual(choice('row 1'));
  });

  it('reads echoes and delivery statuses (both campaign spellings) and gives the agent nothing for them', () => {
    const echo = readWebhook({ sender: recipient, recipient: sender, message: { text: 'from us', isEcho: true } });
    expect(echo).toMatchObject({ kind: 'echo', clientKey: '+16315555500' });
    const status = readWebhook({
      topic: 'delivery_status',
      sender: recipient,
      recipient: sender,
      statusUpdate: { id: 'm1', status: 'delivery_failed', error: { code: 'ERROR_CODE_UNSPECIFIED' } },
      metadata: { campaign_name: 'promo' },
      callbackData: { order: 1 },
    });
    expect(status).toMatchObject({
      kind: 'status',
      messageId: 'm1',
      status: 'delivery_failed',
      campaignName: 'promo',
      callbackData: { order: 1 },
    });
    const nested = readWebhook({
      topic: 'delivery_status',
      recipient: sender,
      statusUpdate: { id: 'm2', status: 'read', metadata: { campaignName: 'x' } },
      metadata: null,
    });
    expect(nested).toMatchObject({ campaignName: 'x', error: undefined });
    expect(toInputEvents(echo)).toEqual([]);
    expect(toInputEvents(status)).toEqual([]);
  });

  it("tells the echo of an automated message (marked in callbackData) from the echo of a person's", () => {
    const echoOf = (callbackData: unknown) =>
      readWebhook({ sender: recipient, recipient: sender, callbackData, message: { text: 'hi', isEcho: true } });
    const automated = echoOf(markAutomated());
    const person = echoOf(undefined);
    if (automated.kind !== 'echo' || person.kind !== 'echo') throw new Error('expected echoes');
    expect(isAutomatedEcho(automated)).toBe(true);
    expect(isAutomatedEcho(person)).toBe(false);
    const withData = echoOf(markAutomated({ order: 7 }));
    if (withData.kind !== 'echo') throw new Error('expected an echo');
    expect(withData.callbackData).toEqual({ order: 7, connectlySentBy: 'automation' });
    expect(isAutomatedEcho(withData)).toBe(true);
    expect(markAutomated('ref-9')).toEqual({ data: 'ref-9', connectlySentBy: 'automation' });
    const foreign = echoOf({ connectlySentBy: 'someone else' });
    if (foreign.kind !== 'echo') throw new Error('expected an echo');
    expect(isAutomatedEcho(foreign)).toBe(false);
  });

  it('passes other topics through untouched', () => {
    const report = { topic: 'report', timestamp: '2025-04-30T12:34:56Z', report: { id: 'r1' } };
    expect(readWebhook(report)).toEqual({ kind: 'other', topic: 'report', payload: report });
  });

  it('keys phone-less customers by their BSUID, and customers with both by the phone', () => {
    expect(
      readWebhook({ sender: { id: 'US.1349', userId: 'US.1349', phoneNumber: '' }, message: { text: 'x' } }),
    ).toMatchObject({ clientKey: 'US.1349' });
    expect(
      readWebhook({ sender: { id: 'US.1349', userId: 'US.1349', phoneNumber: '+15550001' }, message: { text: 'x' } }),
    ).toMatchObject({ clientKey: '+15550001' });
  });
});

describe('deliveries from the mock, received over HTTP', () => {
  let mock: MockConnectlyServer;
  let server: Server;
  const seen: Array<InboundEvent | Error> = [];

  beforeAll(async () => {
    mock = new MockConnectlyServer({
      apiKey: 'k',
      businessId: 'biz',
      messaging: { webhookSecret: 's3cret', timeScale: 0.001 },
    });
    await mock.start();
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          seen.push(parseWebhook(Buffer.concat(chunks), req.headers, 's3cret'));
          res.writeHead(200).end();
        } catch (error) {
          seen.push(error as Error);
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const created = await fetch(`${mock.url}/v1/businesses/biz/create/webhooks`, {
      method: 'POST',
      headers: { 'x-api-key': 'k' },
      body: JSON.stringify({ topic: 'messages', address }),
    });
    expect(created.status).toBe(200);
  });
  afterAll(async () => {
    await mock.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies a real delivery, non-ASCII text included, and refuses it under another secret', async () => {
    const delivery = await mock.customer('+15550001111').says('Olá, quero um presente 🎁');
    expect(delivery.outcome).toBe('delivered');
    expect(seen.pop()).toMatchObject({ kind: 'message', text: 'Olá, quero um presente 🎁' });
    mock.messaging.setWebhookSecret('biz', 'rotated');
    const refused = await mock.customer('+15550001111').says('again');
    expect(refused.outcome).toBe('failed');
    expect(seen.pop()).toBeInstanceOf(ConnectlyWebhookSignatureError);
  });
});
