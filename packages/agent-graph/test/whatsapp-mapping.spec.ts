// The agent's reply as Message API messages: every event kind, in order, with what cannot be sent reported.
import { CATALOG } from 'connectly-agent-graph-mock';
import { type AgentEvent, summarizeReply, toWhatsAppMessages } from '../src/index.js';

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
