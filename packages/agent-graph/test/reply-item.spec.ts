// toReplyItem / fromReplyItem: a reply passed between workflow steps as one flat record, and read back
// as the events it came from.
import {
  type AgentEvent,
  type AgentReply,
  fromReplyItem,
  summarizeReply,
  toReplyItem,
  toWhatsAppMessages,
} from 'connectly-agent-graph';

const sessionId = 'session-1';

function agentEvent(type: string, payload: unknown, known = true): AgentEvent {
  return { type, known, sessionId, [type]: payload } as AgentEvent;
}

const assistant = (text: string) =>
  agentEvent('messageEvent', { role: 'ASSISTANT', content: { textContent: { text } } });
const products = agentEvent('recommendationEvent', {
  products: [
    { productId: 'p-1', title: 'Silk scarf', price: 39.5, currency: 'EUR', imageUrl: 'https://shop.test/scarf.png' },
    { productId: 'p-2', title: 'Wool hat', facets: { colour: 'red' } },
  ],
});
const list = agentEvent('connectlyInteractiveEvent', {
  interactive: {
    listMessage: {
      body: { text: 'Pick a size' },
      button: 'Sizes',
      sections: [
        {
          title: 'Sizes',
          rows: [
            { id: 's', title: 'Small' },
            { id: 'm', title: 'Medium' },
          ],
        },
      ],
    },
  },
});
const buttons = agentEvent('connectlyInteractiveEvent', {
  interactive: {
    replyButtonMessage: {
      buttons: [
        { id: 'yes', text: 'Yes' },
        { id: 'no', text: 'No' },
      ],
    },
  },
});
const productMessage = agentEvent('connectlyInteractiveEvent', {
  interactive: { singleProductMessage: { actionButton: { id: 'buy', text: 'Buy' } } },
});
const suggestions = agentEvent('chatSuggestionEvent', { suggestedQuestions: ['Other colours?', 'Delivery time?'] });

// Every kind an agent sends, handovers of every kind (triggering or not) and a kind this version does not know.
const everyKind: AgentEvent[] = [
  assistant('Here are two ideas.'),
  agentEvent('messageEvent', { role: 'ASSISTANT', content: { imageContent: { url: 'https://shop.test/look.png' } } }),
  products,
  list,
  buttons,
  productMessage,
  suggestions,
  agentEvent('agentHandoverEvent', { triggerHandover: true, reason: 'asked for a person' }),
  agentEvent('storefrontHandoverEvent', { triggerHandover: false, initialSearchPhrase: 'scarf' }),
  agentEvent('orderStatusHandoverEvent', { triggerHandover: false }),
  agentEvent('locationQueryHandoverEvent', { triggerHandover: false }),
  agentEvent('onelivDoctorHandoverEvent', { triggerHandover: false, doctorSpecialty: 'dermatology' }),
  agentEvent('leadgenHandoverEvent', { triggerHandover: false }),
  assistant('Anything else?'),
  agentEvent('futureEvent', { anything: [1, 2] }, false),
];

/** What the next workflow step receives: the item as JSON, as workflow tools store and pass it. */
const passed = <T>(item: T): Record<string, unknown> => JSON.parse(JSON.stringify(item)) as Record<string, unknown>;

describe('a reply passed as an item', () => {
  it('with its raw events reads back as exactly those events, every kind, handovers included', () => {
    const reply: AgentReply = summarizeReply(everyKind);
    const events = fromReplyItem(passed(toReplyItem(reply, { rawEvents: true, clientKey: '+15550001' })));
    expect(events).toEqual(everyKind);
    expect(summarizeReply(events ?? [])).toEqual(reply);
  });

  it('as its summary reads back as events that give the same item and the same WhatsApp messages', () => {
    const canonical = [assistant('Here are two ideas.'), products, list, buttons, productMessage, suggestions];
    const item = passed(toReplyItem(summarizeReply(canonical), { clientKey: '+15550001' }));
    const events = fromReplyItem(item) ?? [];
    expect(events).toEqual(canonical);
    expect(passed(toReplyItem(summarizeReply(events), { clientKey: '+15550001' }))).toEqual(item);
    expect(toWhatsAppMessages(events)).toEqual(toWhatsAppMessages(canonical));
  });

  it("as its summary keeps the handover flag and carries no handover event (the node's Handover output does)", () => {
    const item = passed(toReplyItem(summarizeReply(everyKind)));
    expect(item).toMatchObject({ handover: true, eventCount: everyKind.length, sessionId });
    expect(item).not.toHaveProperty('events');
    expect(fromReplyItem(item)?.map((event) => event.type)).toEqual([
      'messageEvent',
      'recommendationEvent',
      'connectlyInteractiveEvent',
      'connectlyInteractiveEvent',
      'connectlyInteractiveEvent',
      'chatSuggestionEvent',
    ]);
  });

  it('as one event per item reads back as that event', () => {
    for (const event of [products, list, suggestions]) {
      expect(fromReplyItem(passed({ type: event.type, sessionId, [event.type]: event[event.type as never] }))).toEqual([
        event,
      ]);
    }
  });

  it("is told apart from a customer's message, which is never read as the agent's reply", () => {
    expect(fromReplyItem({ text: 'I want a refund', clientKey: '+15550001', sessionId })).toBeUndefined();
    expect(fromReplyItem({})).toBeUndefined();
  });
});
