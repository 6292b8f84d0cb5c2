// reply(): one streamed turn gathered into an AgentReply.
import { text, useMockServer } from './helpers.js';

const h = useMockServer();

describe('reply()', () => {
  it('gathers a turn into text, products, suggestions, interactives and handovers', async () => {
    const sessionId = await h.newSession();
    h.mock.inject({
      events: [
        text('Hello'),
        text('echo', 'USER'),
        { recommendationEvent: { products: [{ title: 'A' }] } },
        { chatSuggestionEvent: { suggestedQuestions: ['Q1'] } },
        { connectlyInteractiveEvent: { interactive: { replyButtonMessage: { buttons: [{ id: 'y', text: 'Yes' }] } } } },
        text('Bye'),
        { storefrontHandoverEvent: { initialSearchPhrase: 'scarf' } },
        { agentHandoverEvent: { triggerHandover: true, reason: 'asked' } },
        { futureEvent: { a: 1 } },
      ],
    });
    const reply = await h.client.reply({ clientKey: 'customer-1', sessionId, text: 'hi' });
    expect(reply.text).toBe('Hello\n\nBye');
    expect(reply.messages).toHaveLength(3);
    expect(reply.products).toEqual([{ title: 'A' }]);
    expect(reply.suggestions).toEqual(['Q1']);
    expect(reply.interactives).toEqual([{ replyButtonMessage: { buttons: [{ id: 'y', text: 'Yes' }] } }]);
    expect(reply.handovers.map((e) => e.type)).toEqual(['storefrontHandoverEvent', 'agentHandoverEvent']);
    expect(reply.handover).toBe(true);
    expect(reply.events).toHaveLength(9);
    expect(reply.sessionId).toBe(sessionId);
  });
});
