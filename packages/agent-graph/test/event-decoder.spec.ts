// The event decoder: bytes in, typed agent events out, across every chunking of a stream that touches every rule.
import { AgentEventDecoder, type AgentEvent, ConnectlyProtocolError, type RpcStatus } from '../src/index.js';

const encoder = new TextEncoder();

// A stream that touches every rule at once: several events per line, keep-alives (blank, whitespace, CRLF),
// non-ASCII text, bare envelopes, an unknown kind, and a last line without '\n'.
const TRICKY = [
  '',
  JSON.stringify({
    result: {
      response: {
        sessionId: 's',
        responseEvents: [{ messageEvent: { content: { textContent: { text: 'Olá 👋 日本' } } } }],
      },
    },
  }),
  '   ',
  JSON.stringify({
    result: {
      response: {
        sessionId: 's',
        responseEvents: [
          { chatSuggestionEvent: { suggestedQuestions: ['a', 'é'] } },
          { agentHandoverEvent: { triggerHandover: true } },
        ],
      },
    },
  }) + '\r',
  ' \r',
  JSON.stringify({ response: { sessionId: 's', responseEvents: [{ futureEvent: { x: 1 } }] } }),
  JSON.stringify({ recommendationEvent: { products: [{ title: 'Crème brûlée', price: 9.5 }] } }),
].join('\n');

function decodeAll(chunks: Uint8Array[]): { events: AgentEvent[]; errors: RpcStatus[] } {
  const events: AgentEvent[] = [];
  const errors: RpcStatus[] = [];
  const decoder = new AgentEventDecoder(
    { event: (e) => events.push(e), error: (e) => errors.push(e) },
    { sessionId: 'fallback' },
  );
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  return { events, errors };
}

describe('AgentEventDecoder torture test', () => {
  const bytes = encoder.encode(TRICKY);
  const expected = decodeAll([bytes]);

  it('decodes the tricky stream as a whole', () => {
    expect(expected.errors).toEqual([]);
    expect(expected.events.map((e) => e.type)).toEqual([
      'messageEvent',
      'chatSuggestionEvent',
      'agentHandoverEvent',
      'futureEvent',
      'recommendationEvent',
    ]);
    expect(expected.events.map((e) => e.sessionId)).toEqual(['s', 's', 's', 's', 'fallback']);
    expect(expected.events[3]).toEqual({ type: 'futureEvent', futureEvent: { x: 1 }, known: false, sessionId: 's' });
  });

  it('gives the same events for every split of the stream into two chunks', () => {
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      expect(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
    }
  });

  it('gives the same events for every split into three chunks', () => {
    // Every pair of cut points, over a stride that still lands inside every multi-byte character.
    for (let a = 0; a <= bytes.length; a += 3) {
      for (let b = a; b <= bytes.length; b += 7) {
        expect(decodeAll([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)])).toEqual(expected);
      }
    }
  });

  it('gives the same events when fed one byte at a time', () => {
    expect(decodeAll([...bytes].map((byte) => Uint8Array.of(byte)))).toEqual(expected);
  });

  it('reports an error line and ignores what follows it', () => {
    const stream = `${JSON.stringify({ result: { response: { responseEvents: [{ messageEvent: {} }] } } })}\n{"error":{"code":13,"message":"boom"}}\n{"messageEvent":{}}\n`;
    const result = decodeAll([encoder.encode(stream)]);
    expect(result.events).toHaveLength(1);
    expect(result.errors).toEqual([{ code: 13, message: 'boom' }]);
  });

  it('says which line is not JSON', () => {
    const stream = `${JSON.stringify({ messageEvent: {} })}\n\n{"oops": \n`;
    try {
      decodeAll([encoder.encode(stream)]);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(ConnectlyProtocolError);
      expect((error as ConnectlyProtocolError).line).toBe(3);
      expect((error as ConnectlyProtocolError).message).toMatch(/line 3 is not valid JSON/);
    }
  });

  it('serialises every event the same way: type, the payload under its kind, known, sessionId', () => {
    // What an SSE route or an n8n item shows the user is this JSON, in this order.
    const { events } = decodeAll([encoder.encode(TRICKY)]);
    expect(events.map((event) => JSON.stringify(event))).toEqual([
      '{"type":"messageEvent","messageEvent":{"content":{"textContent":{"text":"Olá 👋 日本"}}},"known":true,"sessionId":"s"}',
      '{"type":"chatSuggestionEvent","chatSuggestionEvent":{"suggestedQuestions":["a","é"]},"known":true,"sessionId":"s"}',
      '{"type":"agentHandoverEvent","agentHandoverEvent":{"triggerHandover":true},"known":true,"sessionId":"s"}',
      '{"type":"futureEvent","futureEvent":{"x":1},"known":false,"sessionId":"s"}',
      '{"type":"recommendationEvent","recommendationEvent":{"products":[{"title":"Crème brûlée","price":9.5}]},"known":true,"sessionId":"fallback"}',
    ]);
  });

  it('rejects a line that is JSON but not an object', () => {
    expect(() => decodeAll([encoder.encode('[1,2]\n')])).toThrow(/line 1 is not an Agent Graph event/);
  });
});
