// The scripted demo agent: answers what the customer says with the event kinds a real agent sends.

import { field } from './proto-json.js';

type Json = Record<string, unknown>;

function text(value: string): Json {
  return {
    messageEvent: {
      role: 'ASSISTANT',
      content: { textContent: { text: value } },
      createdAt: new Date().toISOString(),
    },
  };
}

function suggestions(...questions: string[]): Json {
  return { chatSuggestionEvent: { suggestedQuestions: questions } };
}

export const CATALOG = [
  {
    productId: 'sku-aurora-scarf',
    title: 'Aurora Silk Scarf',
    description: 'Hand-dyed silk in winter-night blues.',
    url: 'https://shop.example.com/p/aurora-scarf',
    imageUrl: 'https://shop.example.com/img/aurora-scarf.jpg',
    price: 49.9,
    currency: 'USD',
    facets: { color: 'blue', material: 'silk' },
  },
  {
    productId: 'sku-juniper-candles',
    title: 'Juniper Candle Set',
    description: 'Three soy candles: juniper, clove and crème brûlée.',
    url: 'https://shop.example.com/p/juniper-candles',
    imageUrl: 'https://shop.example.com/img/juniper-candles.jpg',
    price: 32,
    currency: 'USD',
    facets: { scent: 'juniper' },
  },
  {
    productId: 'sku-starlight-earrings',
    title: 'Starlight Earrings',
    description: 'Sterling silver with a small moonstone.',
    url: 'https://shop.example.com/p/starlight-earrings',
    imageUrl: 'https://shop.example.com/img/starlight-earrings.jpg',
    price: 89,
    currency: 'USD',
    facets: { material: 'silver' },
  },
];

function userWords(inputEvents: unknown[]): string {
  const words: string[] = [];
  for (const event of inputEvents) {
    const message = field(event, 'messageEvent');
    if (field(message, 'role') === 'ASSISTANT') continue;
    const content = field(message, 'content');
    const textContent = field(content, 'textContent');
    const value = typeof textContent === 'string' ? textContent : field(textContent, 'text');
    if (typeof value === 'string') words.push(value);
  }
  return words.join(' ');
}

/**
 * An agent that repeats what it heard, in order: one message `heard: a | b | c` per turn. Tests and
 * benchmarks use it to see which inputs travelled together in which turn.
 */
export function echoReply(inputEvents: unknown[]): Json[] {
  const heard: string[] = [];
  for (const event of inputEvents) {
    const value = field(field(field(field(event, 'messageEvent'), 'content'), 'textContent'), 'text');
    heard.push(typeof value === 'string' ? value : '?');
  }
  return [text(`heard: ${heard.join(' | ')}`)];
}

/** The agent's reply to one turn. */
export function demoReply(inputEvents: unknown[]): Json[] {
  const last = inputEvents[inputEvents.length - 1];
  const button = field(last, 'buttonResponseEvent') ?? field(last, 'listReplyEvent');
  if (button !== undefined) {
    const title = String(field(button, 'title') ?? field(button, 'id') ?? 'that option');
    return [text(`You picked “${title}”. Good choice!`), suggestions('Show me gift ideas', 'Talk to a human')];
  }
  const form = field(field(last, 'filledFormResponseEvent'), 'formData');
  if (form !== undefined) {
    const name = field(form, 'name');
    return [
      text(`Thanks${typeof name === 'string' ? `, ${name}` : ''}! We received your details and will be in touch.`),
    ];
  }
  const store = field(last, 'storeEvent');
  if (store !== undefined) {
    const name = field(store, 'name') ?? field(store, 'storeId');
    return [text(`Got it: I'll use the ${String(name ?? 'selected')} store for availability.`)];
  }
  const content = field(field(last, 'messageEvent'), 'content');
  if (field(content, 'imageContent') !== undefined)
    return [text('Thanks for the picture! Let me find something similar.')];
  if (field(content, 'audioContent') !== undefined) return [text('I got your voice message.')];
  if (field(content, 'locationContent') !== undefined) return [text('Thanks for sharing your location.')];

  const said = userWords(inputEvents);
  const lower = said.toLowerCase();
  if (/\b(human|person|someone|representative|operator|agent)\b/.test(lower)) {
    return [
      text("Of course: I'm connecting you with a teammate now. They'll see this conversation."),
      {
        agentHandoverEvent: {
          triggerHandover: true,
          reason: 'The customer asked to talk to a human.',
          reasonNative: 'O cliente pediu para falar com um humano.',
        },
      },
    ];
  }
  if (/\b(order|track|tracking|delivery|package)\b/.test(lower)) {
    return [
      text('Let me hand you over to order support to check that.'),
      { orderStatusHandoverEvent: { triggerHandover: true } },
    ];
  }
  if (/\b(store|stores|nearby|near me|address)\b/.test(lower)) {
    return [text("I'll look up the stores near you."), { locationQueryHandoverEvent: { triggerHandover: true } }];
  }
  if (/\b(browse|catalog|catalogue|shop)\b/.test(lower)) {
    return [
      text('Opening the storefront for you.'),
      { storefrontHandoverEvent: { triggerHandover: true, initialSearchPhrase: said.slice(0, 80) } },
    ];
  }
  if (/\b(yes or no|confirm|wrap|wrapping)\b/.test(lower)) {
    return [
      text('Would you like gift wrapping?'),
      {
        connectlyInteractiveEvent: {
          interactive: {
            replyButtonMessage: {
              header: { text: 'Gift wrapping' },
              buttons: [
                { id: 'wrap-yes', text: 'Yes, please' },
                { id: 'wrap-no', text: 'No, thanks' },
              ],
            },
          },
        },
      },
    ];
  }
  if (/\b(gift|gifts|present|buy|recommend|festive|christmas|idea|ideas)\b/.test(lower)) {
    return [
      text('Here are a few festive ideas she might love:'),
      { recommendationEvent: { products: CATALOG } },
      suggestions('Do you gift-wrap?', 'What is your return policy?', 'Talk to a human'),
    ];
  }
  if (/\b(menu|options|categories|help)\b/.test(lower)) {
    return [
      text('Here is what I can help with:'),
      {
        connectlyInteractiveEvent: {
          interactive: {
            listMessage: {
              header: { text: 'How can I help?' },
              footer: { text: 'Demo store' },
              button: { id: 'menu', text: 'Choose' },
              buttonText: 'Choose',
              sections: [
                {
                  title: 'Shopping',
                  rows: [
                    { id: 'gifts', text: 'Gift ideas', description: 'Festive picks under $100' },
                    { id: 'orders', text: 'My order', description: 'Track a delivery' },
                  ],
                },
                {
                  title: 'People',
                  rows: [{ id: 'human', text: 'Talk to a human', description: 'A teammate replies' }],
                },
              ],
            },
          },
        },
      },
    ];
  }
  if (/\b(hi|hello|hey|ola|olá|good (morning|afternoon|evening))\b/.test(lower) || lower.trim() === '') {
    return [
      text("Hi! 👋 I'm the demo shopping assistant. I can suggest gifts, show a menu, or find you a human."),
      suggestions('Show me gift ideas', 'Show me the menu', 'Talk to a human'),
    ];
  }
  return [
    text(`You said: “${said.slice(0, 200)}”.`),
    text('I can suggest gifts, show the menu, track an order, or connect you with a human.'),
    suggestions('Show me gift ideas', 'Show me the menu', 'Talk to a human'),
  ];
}
