// The agent's reply as Message API messages: every event kind, in order, with what cannot be sent reported.
import { CATALOG, MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  type AgentEvent,
  ConnectlyMessagingClient,
  type OutboundMessage,
  type WhatsAppReply,
  summarizeReply,
  toWhatsAppMessages,
} from '../src/index.js';

function event(type: string, payload: unknown): AgentEvent {
  return { type, [type]: payload, known: !type.startsWith('x'), sessionId: 's1' } as AgentEvent;
}
const say = (text: string): AgentEvent =>
  event('messageEvent', { role: 'ASSISTANT', content: { textContent: { text } } });

describe('toWhatsAppMessages', () => {
  it('sends text, images, audio and locations one message each, in order', () => {
    const { messages, unmapped } = toWhatsAppMessages([
      say('Hello'),
      event('messageEvent', { content: { imageContent: { url: 'https://x/a.png', caption: 'A' } } }),
      event('messageEvent', { content: { audioContent: { url: 'https://x/a.ogg' } } }),
      event('messageEvent', {
        content: { locationContent: { latitude: '52.5' as unknown as number, longitude: 13.4, name: 'Shop' } },
      }),
    ]);
    expect(messages).toEqual([
      { text: 'Hello' },
      { attachments: [{ type: 'image', url: 'https://x/a.png', caption: 'A' }] },
      { attachments: [{ type: 'audio', url: 'https://x/a.ogg' }] },
      { location: { latitude: 52.5, longitude: 13.4, name: 'Shop' } },
    ]);
    expect(unmapped).toEqual([]);
  });

  it('splits text longer than 4096 characters at a word boundary, losing nothing', () => {
    const long = Array.from({ length: 1000 }, (_, i) => `word${i}`).join(' ');
    const { messages } = toWhatsAppMessages([say(long)]);
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.every((m) => [...(m.text ?? '')].length <= 4096)).toBe(true);
    expect(messages.map((m) => m.text).join(' ')).toBe(long);
  });

  it('turns 1–3 suggestions into reply buttons, the preceding text becoming their body', () => {
    const reply = toWhatsAppMessages([
      say('Anything else?'),
      event('chatSuggestionEvent', { suggestedQuestions: ['Show me scarves please, in blue', 'Talk to a human'] }),
    ]);
    expect(reply.messages).toEqual([
      {
        text: 'Anything else?',
        replyButtonMessage: {
          buttons: [
            { id: 'sugg:0', text: 'Show me scarves ple…' },
            { id: 'sugg:1', text: 'Talk to a human' },
          ],
        },
      },
    ]);
    expect(reply.choices['sugg:0']).toEqual({ kind: 'suggestion', text: 'Show me scarves please, in blue' });
  });

  it('turns 4–10 suggestions into a list with the full question as description, with the default body', () => {
    const questions = ['One', 'Two', 'Three', 'What are the most popular festive gifts?'];
    const { messages } = toWhatsAppMessages([event('chatSuggestionEvent', { suggestedQuestions: questions })], {
      defaultBody: 'Pick one',
    });
    expect(messages[0]).toEqual({
      text: 'Pick one',
      listMessage: {
        button: { text: 'Options' },
        sections: [
          {
            rows: [
              { id: 'sugg:0', text: 'One' },
              { id: 'sugg:1', text: 'Two' },
              { id: 'sugg:2', text: 'Three' },
              {
                id: 'sugg:3',
                text: 'What are the most popul…',
                description: 'What are the most popular festive gifts?',
              },
            ],
          },
        ],
      },
    });
  });

  it('copies a list message and flattens its header attachment to the Message API shape', () => {
    const list = {
      header: {
        text: 'Gifts',
        attachment: { type: 'ATTACHMENT_TYPE_IMAGE', asset: { id: 'a1', url: 'https://x/h.jpg', caption: 'c' } },
      },
      footer: { text: 'Free wrapping' },
      buttonText: 'See gifts',
      sections: [{ title: 'Under $50', rows: [{ id: 'r1', text: 'Scarf', description: 'Silk' }] }],
    };
    const reply = toWhatsAppMessages([
      say('Here you go'),
      event('connectlyInteractiveEvent', { interactive: { listMessage: list } }),
    ]);
    expect(reply.messages).toEqual([
      {
        text: 'Here you go',
        listMessage: {
          header: { text: 'Gifts', attachment: { type: 'image', url: 'https://x/h.jpg', caption: 'c' } },
          footer: { text: 'Free wrapping' },
          button: { text: 'See gifts' },
          sections: [{ title: 'Under $50', rows: [{ id: 'r1', text: 'Scarf', description: 'Silk' }] }],
        },
      },
    ]);
    expect(reply.choices).toEqual({ r1: { kind: 'list', text: 'Scarf', description: 'Silk' } });
  });

  it('guesses an unspecified header media type from the URL, and reports media it cannot send', () => {
    const header = (attachment: unknown): AgentEvent =>
      event('connectlyInteractiveEvent', {
        interactive: { replyButtonMessage: { header: { text: 'H', attachment }, buttons: [{ id: 'b', text: 'B' }] } },
      });
    const guessed = toWhatsAppMessages([
      header({ type: 'ATTACHMENT_TYPE_UNSPECIFIED', asset: { url: 'https://x/v.mp4' } }),
    ]);
    expect(guessed.messages[0]?.replyButtonMessage?.header).toEqual({
      text: 'H',
      attachment: { type: 'video', url: 'https://x/v.mp4' },
    });
    const noUrl = toWhatsAppMessages([header({ type: 'ATTACHMENT_TYPE_IMAGE', asset: { id: 'asset-1' } })]);
    expect(noUrl.messages[0]?.replyButtonMessage?.header).toEqual({ text: 'H' });
    expect(noUrl.unmapped).toEqual([
      { event: expect.anything(), reason: expect.stringMatching(/header media without a URL/) },
    ]);
  });

  it('keeps the first 3 reply buttons and reports the rest', () => {
    const buttons = ['a', 'b', 'c', 'd'].map((id) => ({ id, text: id.toUpperCase() }));
    const reply = toWhatsAppMessages([
      event('connectlyInteractiveEvent', { interactive: { replyButtonMessage: { buttons } } }),
    ]);
    expect(reply.messages[0]?.replyButtonMessage?.buttons.map((b) => b.id)).toEqual(['a', 'b', 'c']);
    expect(reply.unmapped[0]?.reason).toMatch(/first 3 of 4/);
  });

  it('lists recommended products as text by default, as images on request, and as a catalog message with a catalogId', () => {
    const products = event('recommendationEvent', { products: CATALOG.slice(0, 2) });
    expect(toWhatsAppMessages([products]).messages).toEqual([
      {
        text:
          '• Aurora Silk Scarf — 49.90 USD\nhttps://shop.example.com/p/aurora-scarf\n\n' +
          '• Juniper Candle Set — 32.00 USD\nhttps://shop.example.com/p/juniper-candles',
      },
    ]);
    expect(toWhatsAppMessages([products], { products: 'images' }).messages[0]).toEqual({
      attachments: [
        {
          type: 'image',
          url: 'https://shop.example.com/img/aurora-scarf.jpg',
          caption: '• Aurora Silk Scarf — 49.90 USD\nhttps://shop.example.com/p/aurora-scarf',
        },
      ],
    });
    const catalog = toWhatsAppMessages([say('Ideas:'), products], { catalogId: 'cat-1' });
    expect(catalog.messages).toEqual([
      {
        text: 'Ideas:',
        multiProductMessage: {
          header: { text: 'Recommended for you' },
          catalogId: 'cat-1',
          sections: [
            {
              title: 'Products',
              productItems: [{ productRetailerId: 'sku-aurora-scarf' }, { productRetailerId: 'sku-juniper-candles' }],
            },
          ],
        },
      },
    ]);
  });

  it('sends a single-product message as reply buttons without a catalog, and reports it when nothing can be sent', () => {
    const product = event('connectlyInteractiveEvent', {
      interactive: {
        singleProductMessage: { footer: { text: 'Only 3 left' }, actionButton: { id: 'buy', text: 'Buy now' } },
      },
    });
    expect(toWhatsAppMessages([product]).messages).toEqual([
      {
        text: 'Choose an option',
        replyButtonMessage: { footer: { text: 'Only 3 left' }, buttons: [{ id: 'buy', text: 'Buy now' }] },
      },
    ]);
    const bare = toWhatsAppMessages([
      event('connectlyInteractiveEvent', { interactive: { singleProductMessage: { footer: { text: 'x' } } } }),
    ]);
    expect(bare.messages).toEqual([]);
    expect(bare.unmapped[0]?.reason).toMatch(/catalogId/);
  });

  it('never sends handovers, reports them, and says whether one triggers', () => {
    const reply = toWhatsAppMessages([
      say('Connecting you'),
      event('agentHandoverEvent', { triggerHandover: true, reason: 'asked' }),
    ]);
    expect(reply.messages).toEqual([{ text: 'Connecting you' }]);
    expect(reply.handover).toBe(true);
    expect(reply.handovers).toHaveLength(1);
    expect(toWhatsAppMessages([event('leadgenHandoverEvent', { triggerHandover: false })]).handover).toBe(false);
  });

  it('reports unknown event kinds, unknown interactive kinds, customer echoes and empty messages instead of dropping them', () => {
    const unknown = event('xFutureEvent', { a: 1 });
    const reply = toWhatsAppMessages([
      unknown,
      event('connectlyInteractiveEvent', { interactive: { carouselMessage: {} } }),
      event('messageEvent', { role: 'USER', content: { textContent: { text: 'hi' } } }),
      event('messageEvent', { content: {} }),
    ]);
    expect(reply.messages).toEqual([]);
    expect(reply.unmapped.map((u) => u.reason)).toEqual([
      'event kind xFutureEvent is not known to this version',
      'interactive kind carouselMessage has no WhatsApp mapping',
      'a customer message repeated by the agent is not sent back',
      'a message event with no text, image, audio or location to send',
    ]);
    expect(reply.unmapped[0]?.event).toBe(unknown);
  });

  it('takes an AgentReply as well as events', () => {
    const events = [say('Hi'), event('chatSuggestionEvent', { suggestedQuestions: ['More'] })];
    expect(toWhatsAppMessages(summarizeReply(events))).toEqual(toWhatsAppMessages(events));
  });
});

/** Code points, as WhatsApp counts the 4096 characters of a text. */
const length = (text: string | undefined): number => [...(text ?? '')].length;
const reasons = (reply: WhatsAppReply): string[] => reply.unmapped.map((u) => u.reason);
const changes = (reply: WhatsAppReply): string[] => reply.adjusted.map((a) => a.change);

const odd: Array<[string, AgentEvent, string[]]> = [
  [
    'a null suggestion',
    event('chatSuggestionEvent', { suggestedQuestions: [null, 'Gift ideas'] }),
    ['suggestedQuestions[0] is null, not text: left out'],
  ],
  [
    'suggestions as a string',
    event('chatSuggestionEvent', { suggestedQuestions: 'Gift ideas' }),
    ['suggestedQuestions is a string, not a list: left out'],
  ],
  [
    'products as an object',
    event('recommendationEvent', { products: {} }),
    ['products is an object, not a list: left out'],
  ],
  [
    'a numeric text',
    event('messageEvent', { content: { textContent: { text: 42 } } }),
    ['textContent.text is a number, not text: left out'],
  ],
  [
    'a null button',
    event('connectlyInteractiveEvent', {
      interactive: { replyButtonMessage: { buttons: [null, { id: 'y', text: 'Yes' }] } },
    }),
    ['buttons[0] is null, not an object: left out'],
  ],
  [
    'a numeric header text',
    event('connectlyInteractiveEvent', {
      interactive: { replyButtonMessage: { header: { text: 5 }, buttons: [{ id: 'n', text: 'No' }] } },
    }),
    ['header.text is a number, not text: left out'],
  ],
  [
    'only a null button',
    event('connectlyInteractiveEvent', { interactive: { replyButtonMessage: { buttons: [null] } } }),
    ['buttons[0] is null, not an object: left out', 'a reply-button message without buttons'],
  ],
  ['a null message', event('messageEvent', null), ['a message event with no text, image, audio or location to send']],
  [
    'an interactive as text',
    event('connectlyInteractiveEvent', { interactive: 'menu' }),
    ['interactive is a string, not an object: left out', 'interactive kind (empty) has no WhatsApp mapping'],
  ],
  [
    'odd list rows and products',
    event('connectlyInteractiveEvent', {
      interactive: { listMessage: { sections: [{ rows: [7, { id: 3, text: 'Scarf' }] }], footer: { text: {} } } },
    }),
    [
      'sections[0].rows[0] is a number, not an object: left out',
      'sections[0].rows[1].id is a number, not text: left out',
      'footer.text is an object, not text: left out',
    ],
  ],
  [
    'odd products in a list',
    event('recommendationEvent', { products: [null, { title: 5, price: '3', productId: 'p1' }] }),
    ['products[0] is null, not an object: left out'],
  ],
];

const rows = (n: number, section = 0): Array<{ id: string; text: string }> =>
  Array.from({ length: n }, (_, i) => ({ id: `r${section}-${i}`, text: `Row ${section}-${i}` }));
const list = (sections: unknown[], more: Record<string, unknown> = {}): AgentEvent =>
  event('connectlyInteractiveEvent', { interactive: { listMessage: { sections, ...more } } });
const buttons = (items: unknown[], more: Record<string, unknown> = {}): AgentEvent =>
  event('connectlyInteractiveEvent', { interactive: { replyButtonMessage: { buttons: items, ...more } } });

describe('toWhatsAppMessages with hostile input', () => {
  it('maps 3.2 million characters into the capped number of messages and reports the rest', () => {
    const words = 'gift '.repeat(640_000);
    const reply = toWhatsAppMessages([say(words), say('And one more thing')]);
    expect(reply.messages).toHaveLength(20);
    expect(reply.messages.every((m) => length(m.text) <= 4096 && length(m.text) > 2048)).toBe(true);
    expect(reasons(reply)).toEqual([
      'a reply is at most 20 WhatsApp messages (maxMessages): the rest of this event was not sent',
      'a reply is at most 20 WhatsApp messages (maxMessages): not sent',
    ]);
    expect(reply.unmapped[1]?.event).toEqual(say('And one more thing'));
    const unbroken = toWhatsAppMessages([say('x'.repeat(3_200_000))], { maxMessages: 3 });
    expect(unbroken.messages.map((m) => length(m.text))).toEqual([4096, 4096, 4096]);
    expect(reasons(unbroken)).toHaveLength(1);
  });

  it('refuses a message cap that is not a whole number of at least 1, naming it', () => {
    expect(() => toWhatsAppMessages([say('Hi')], { maxMessages: 0 })).toThrow(/maxMessages must be a whole number/);
  });

  it.each([
    ['a flag', '🇩🇪'],
    ['a skin tone', '👍🏽'],
    ['a family joined by zero-width joiners', '👨‍👩‍👧'],
    ['a letter and its combining accent', 'e\u0301'],
  ])('never cuts %s across two messages', (_, cluster) => {
    const text = `${'a'.repeat(4095)}${cluster}${'b'.repeat(10)}`;
    const { messages } = toWhatsAppMessages([say(text)]);
    expect(messages.map((m) => m.text)).toEqual(['a'.repeat(4095), `${cluster}${'b'.repeat(10)}`]);
  });

  it('cuts a single cluster longer than a whole message between code points, losing nothing', () => {
    const text = `e${'\u0301'.repeat(5000)}`;
    const { messages } = toWhatsAppMessages([say(text)]);
    expect(messages.map((m) => length(m.text))).toEqual([4096, 905]);
    expect(messages.map((m) => m.text).join('')).toBe(text);
  });

  it.each(odd)('never throws on %s: the odd part is reported, the rest is sent', (_, hostile, expected) => {
    const reply = toWhatsAppMessages([hostile, say('Still here')]);
    expect(reasons(reply)).toEqual(expected);
    expect(reply.messages.at(-1)).toEqual({ text: 'Still here' });
  });

  it('makes button titles unique within a message, and says so', () => {
    const reply = toWhatsAppMessages([
      event('chatSuggestionEvent', {
        suggestedQuestions: ['Show me scarves please, in blue', 'Show me scarves please, in red', 'Talk to a human'],
      }),
      event('connectlyInteractiveEvent', {
        interactive: {
          replyButtonMessage: {
            buttons: [
              { id: 'a', text: 'Yes' },
              { id: 'b', text: 'yes' },
            ],
          },
        },
      }),
    ]);
    expect(reply.messages.map((m) => m.replyButtonMessage?.buttons.map((b) => b.text))).toEqual([
      ['Show me scarves ple…', 'Show me scarves p… 2', 'Talk to a human'],
      ['Yes', 'yes 2'],
    ]);
    expect(reply.choices['sugg:1']).toEqual({ kind: 'suggestion', text: 'Show me scarves please, in red' });
    expect(changes(reply)).toEqual([
      'two buttons would read "Show me scarves ple…": one is titled "Show me scarves p… 2"',
      'two buttons would read "yes": one is titled "yes 2"',
    ]);
  });
});

describe('WhatsApp limits, applied before sending', () => {
  it('sends a list of 12 rows or 11 sections as text, and says so', () => {
    const twelve = toWhatsAppMessages([list([{ title: 'Gifts', rows: rows(12) }], { header: { text: 'Menu' } })]);
    expect(twelve.messages).toHaveLength(1);
    expect(twelve.messages[0]?.listMessage).toBeUndefined();
    expect(twelve.messages[0]?.text).toBe(['Menu', '', 'Gifts', ...rows(12).map((r) => `• ${r.text}`)].join('\n'));
    expect(changes(twelve)).toEqual([
      'a list of 12 rows in 1 section (WhatsApp takes at most 10 rows and 10 sections) was sent as text',
    ]);
    const eleven = toWhatsAppMessages([
      list(Array.from({ length: 11 }, (_, s) => ({ title: `S${s}`, rows: rows(1, s) }))),
    ]);
    expect(eleven.messages[0]?.text).toMatch(/^S0\n• Row 0-0\n\nS1\n/);
    expect(eleven.choices).toEqual({});
    expect(changes(eleven)[0]).toMatch(/11 sections/);
  });

  it('titles a button that has none by its id, leaves out a button whose id is too long, cuts header and footer', () => {
    const reply = toWhatsAppMessages([
      buttons(
        [
          { id: 'buy', text: '' },
          { id: 'i'.repeat(300), text: 'Later' },
          { id: 'no', text: 'No thanks' },
        ],
        {
          header: { text: 'H'.repeat(70) },
          footer: { text: 'F'.repeat(61) },
        },
      ),
    ]);
    expect(reply.messages[0]?.replyButtonMessage).toEqual({
      header: { text: `${'H'.repeat(59)}…` },
      footer: { text: `${'F'.repeat(59)}…` },
      buttons: [
        { id: 'buy', text: 'buy' },
        { id: 'no', text: 'No thanks' },
      ],
    });
    expect(reasons(reply)).toEqual(["buttons[1] was left out: its id is longer than WhatsApp's 256 characters"]);
    expect(changes(reply)).toEqual([
      'buttons[0] has no title: its id "buy" is shown',
      "the header text was cut to WhatsApp's 60 characters",
      "the footer was cut to WhatsApp's 60 characters",
    ]);
  });

  it('leaves out a list button id WhatsApp would refuse, and says so', () => {
    const reply = toWhatsAppMessages([list([{ rows: rows(2) }], { button: { id: 'b'.repeat(300), text: 'Menu' } })]);
    expect(reply.messages[0]?.listMessage?.button).toEqual({ text: 'Menu' });
    expect(changes(reply)).toEqual(["the list button's id is longer than WhatsApp's 256 characters: left out"]);
  });

  it('sends products a catalog message cannot hold as text, and says why', () => {
    const many = Array.from({ length: 31 }, (_, i) => ({ productId: `sku-${i}`, title: `Gift ${i}` }));
    const tooMany = toWhatsAppMessages([event('recommendationEvent', { products: many })], { catalogId: 'cat-1' });
    expect(tooMany.messages[0]?.text).toMatch(/^• Gift 0\n\n• Gift 1/);
    expect(changes(tooMany)).toEqual([
      '31 products are more than a catalog message takes (30): they were sent as text',
    ]);
    const noId = toWhatsAppMessages([event('recommendationEvent', { products: [{ title: 'Scarf' }, many[0]] })], {
      catalogId: 'cat-1',
    });
    expect(noId.messages).toEqual([{ text: '• Scarf\n\n• Gift 0' }]);
    expect(changes(noId)).toEqual([
      '1 of 2 products have no productId for the catalog: the products were sent as text',
    ]);
  });

  it('sends an image whose caption is too long without it, the caption following as text', () => {
    const caption = 'c'.repeat(1100);
    const reply = toWhatsAppMessages([
      event('messageEvent', { content: { imageContent: { url: 'https://x/a.png', caption } } }),
    ]);
    expect(reply.messages).toEqual([{ attachments: [{ type: 'image', url: 'https://x/a.png' }] }, { text: caption }]);
    expect(changes(reply)).toEqual([
      "a caption longer than WhatsApp's 1024 characters was sent as text after the image",
    ]);
  });
});

describe('sendReply with hostile and oversized replies', () => {
  const CUSTOMER = '+15550002222';
  let mock: MockConnectlyServer;
  let client: ConnectlyMessagingClient;

  beforeAll(async () => {
    mock = new MockConnectlyServer({ apiKey: 'k', businessId: 'biz', messaging: { timeScale: 0.001 } });
    await mock.start();
    client = new ConnectlyMessagingClient({ apiKey: 'k', businessId: 'biz', baseUrl: mock.url });
    // The messages webhook points at the mock itself: the customer's first message only opens the window.
    await client.createWebhook({ topic: 'messages', address: `${mock.url}/hook` });
    await mock.customer(CUSTOMER).says('Hi');
  });
  afterAll(() => mock.stop());

  const sentNow = async (events: AgentEvent[]): Promise<{ sent: OutboundMessage[]; unmapped: string[] }> => {
    const before = mock.customer(CUSTOMER).received.length;
    const result = await client.sendReply(CUSTOMER, events);
    const received = mock
      .customer(CUSTOMER)
      .received.slice(before)
      .map((m) => m.message);
    expect(received).toEqual(result.sent.map((s) => s.message));
    return { sent: received as OutboundMessage[], unmapped: result.unmapped.map((u) => u.reason) };
  };

  it('sends the valid rest of a reply with odd parts, and reports them', async () => {
    const { sent, unmapped } = await sentNow([say('Hello'), ...odd.map(([, hostile]) => hostile), say('Still here')]);
    expect(sent[0]).toMatchObject({ text: 'Hello' });
    expect(sent.at(-1)).toEqual({ text: 'Still here' });
    expect(unmapped).toEqual(odd.flatMap(([, , expected]) => expected));
  });

  it("gets every reply past WhatsApp's limits accepted: alike titles, long lists, empty titles, long ids and captions", async () => {
    const { sent } = await sentNow([
      event('chatSuggestionEvent', {
        suggestedQuestions: ['Show me scarves please, in blue', 'Show me scarves please, in red'],
      }),
      list([{ rows: rows(12) }]),
      list(Array.from({ length: 11 }, (_, s) => ({ title: `S${s}`, rows: rows(1, s) }))),
      buttons([
        { id: 'buy', text: '' },
        { id: 'i'.repeat(300), text: 'Later' },
      ]),
      event('messageEvent', { content: { imageContent: { url: 'https://x/a.png', caption: 'c'.repeat(1100) } } }),
    ]);
    expect(sent).toHaveLength(6);
  });
});
