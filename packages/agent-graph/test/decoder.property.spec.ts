// Property tests of the decoding path: any valid stream, serialised any allowed way and cut anywhere,
// decodes to exactly the same events; arbitrary bytes never produce anything but our typed errors.
import fc from 'fast-check';
import { AgentEventDecoder, type AgentEvent, ConnectlyProtocolError, type RpcStatus } from '../src/index.js';

const encoder = new TextEncoder();

// Response events with awkward text: any unicode (including astral characters), quotes, newlines.
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const responseEvent = fc.oneof(
  text.map((t) => ({ messageEvent: { role: 'ASSISTANT', content: { textContent: { text: t } } } })),
  fc.array(text, { maxLength: 3 }).map((q) => ({ chatSuggestionEvent: { suggestedQuestions: q } })),
  fc.record({ triggerHandover: fc.boolean(), reason: text }).map((h) => ({ agentHandoverEvent: h })),
  fc
    .array(fc.record({ title: text, price: fc.integer({ min: 0, max: 1_000_000 }).map((cents) => cents / 100) }), {
      maxLength: 3,
    })
    .map((products) => ({
      recommendationEvent: { products },
    })),
  fc.record({ x: fc.integer() }).map((p) => ({ someFutureEvent: p })),
);

interface Serialisation {
  events: Array<Record<string, unknown>>;
  perLine: number;
  envelope: 'result' | 'response' | 'bare';
  crlf: boolean;
  blankLines: number[];
  finalNewline: boolean;
  cuts: number[];
}

const serialisation: fc.Arbitrary<Serialisation> = fc.record({
  events: fc.array(responseEvent, { minLength: 1, maxLength: 12 }),
  perLine: fc.integer({ min: 1, max: 4 }),
  envelope: fc.constantFrom('result' as const, 'response' as const, 'bare' as const),
  crlf: fc.boolean(),
  blankLines: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 }),
  finalNewline: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 20 }),
});

function serialise(s: Serialisation): Uint8Array {
  const ending = s.crlf ? '\r\n' : '\n';
  const lines: string[] = [];
  const perLine = s.envelope === 'bare' ? 1 : s.perLine;
  for (let start = 0, n = 0; start < s.events.length; start += perLine, n += 1) {
    const group = s.events.slice(start, start + perLine);
    const response = { sessionId: 's-1', responseEvents: group };
    for (let i = 0; i < (s.blankLines[n] ?? 0); i += 1) lines.push(i % 2 ? ' \t' : '');
    lines.push(
      s.envelope === 'bare'
        ? JSON.stringify(group[0])
        : JSON.stringify(s.envelope === 'result' ? { result: { response } } : { response }),
    );
  }
  return encoder.encode(lines.join(ending) + (s.finalNewline ? ending : ''));
}

function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(previous, point));
    previous = point;
  }
  return chunks;
}

function decode(chunks: Uint8Array[], maxLineLength?: number): { events: AgentEvent[]; errors: RpcStatus[] } {
  const events: AgentEvent[] = [];
  const errors: RpcStatus[] = [];
  const decoder = new AgentEventDecoder(
    { event: (e) => events.push(e), error: (e) => errors.push(e) },
    { sessionId: 's-1', ...(maxLineLength ? { maxLineLength } : {}) },
  );
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  return { events, errors };
}

describe('decoding, property-based', () => {
  it('any valid stream, serialised any allowed way and cut anywhere, decodes to the same events in order', () => {
    fc.assert(
      fc.property(serialisation, (s) => {
        const { events, errors } = decode(cut(serialise(s), s.cuts));
        expect(errors).toEqual([]);
        expect(events.map((e) => ({ [e.type]: (e as Record<string, unknown>)[e.type] }))).toEqual(s.events);
        expect(events.every((e) => e.sessionId === 's-1')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never throw anything but ConnectlyProtocolError, and never hang', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        try {
          decode(cut(bytes, cuts), 64);
        } catch (error) {
          expect(error).toBeInstanceOf(ConnectlyProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary text lines never throw anything but ConnectlyProtocolError', () => {
    const line = fc.oneof(
      fc.json(),
      fc.string(),
      fc.constantFrom(
        '{"error":null}',
        '{"result":null}',
        '{"result":{"response":{"responseEvents":[1]}}}',
        '[]',
        'null',
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
        try {
          decode([encoder.encode(lines.join('\n'))]);
        } catch (error) {
          expect(error).toBeInstanceOf(ConnectlyProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('memory stays bounded by maxLineLength: a line that never ends is refused once it passes the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 64 }), (limit, chunkSize) => {
        const chunk = encoder.encode('x'.repeat(chunkSize));
        const decoder = new AgentEventDecoder(
          { event: () => undefined, error: () => undefined },
          { maxLineLength: limit },
        );
        let written = 0;
        try {
          for (; written <= limit + chunkSize; written += chunkSize) decoder.write(chunk);
        } catch (error) {
          expect(error).toMatchObject({ reason: 'line-too-long' });
          expect(written).toBeLessThanOrEqual(limit);
          return;
        }
        throw new Error(`a ${written}-character line passed a ${limit}-character limit`);
      }),
      { numRuns: 300 },
    );
  });
});
