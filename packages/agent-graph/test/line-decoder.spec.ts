import {
  AgentEventDecoder,
  type AgentEvent,
  ConnectlyProtocolError,
  LineDecoder,
  type RpcStatus,
} from '../src/index.js';

const encoder = new TextEncoder();

function linesOf(chunks: Array<string | Uint8Array>, options = {}): string[] {
  const lines: string[] = [];
  const decoder = new LineDecoder((line) => lines.push(line), options);
  for (const chunk of chunks) decoder.write(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
  decoder.end();
  return lines;
}

function bytesOneByOne(text: string): Uint8Array[] {
  return [...encoder.encode(text)].map((byte) => Uint8Array.of(byte));
}

describe('LineDecoder', () => {
  it('splits lines that arrive across chunks', () => {
    expect(linesOf(['{"a":', '1}\n{"b"', ':2}\n'])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('joins a multi-byte UTF-8 character split between chunks', () => {
    expect(linesOf(bytesOneByOne('{"t":"日本語👍é"}\n'))).toEqual(['{"t":"日本語👍é"}']);
  });

  it('strips the \\r of \\r\\n, also when \\r and \\n arrive in different chunks', () => {
    expect(linesOf(['a\r', '\nb\r\n'])).toEqual(['a', 'b']);
  });

  it('does not treat a lone \\r as a line break', () => {
    expect(linesOf(['a\rb\n'])).toEqual(['a\rb']);
  });

  it('passes blank lines on, with their numbers', () => {
    const seen: Array<[string, number]> = [];
    const decoder = new LineDecoder((line, n) => seen.push([line, n]));
    decoder.write(encoder.encode('\n\nx\n'));
    decoder.end();
    expect(seen).toEqual([
      ['', 1],
      ['', 2],
      ['x', 3],
    ]);
  });

  it('hands on a final line without \\n at the end', () => {
    expect(linesOf(['a\nb'])).toEqual(['a', 'b']);
  });

  it('strips a UTF-8 byte order mark at the start', () => {
    expect(linesOf([Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf), 'x\n'])).toEqual(['x']);
  });

  it('rejects a line longer than maxLineLength, saying which line', () => {
    const attempt = () => linesOf(['ok\n', 'x'.repeat(30), 'y'.repeat(30)], { maxLineLength: 50 });
    expect(attempt).toThrow(ConnectlyProtocolError);
    expect(attempt).toThrow(/line 2 is longer than maxLineLength \(50/);
  });

  it('accepts a line of exactly maxLineLength', () => {
    expect(linesOf(['x'.repeat(50), '\n'], { maxLineLength: 50 })).toEqual(['x'.repeat(50)]);
  });

  it('rejects bytes that are not UTF-8', () => {
    try {
      linesOf(['ok\n', Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d, 0x0a)]);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(ConnectlyProtocolError);
      expect((error as ConnectlyProtocolError).reason).toBe('invalid-utf8');
      expect((error as ConnectlyProtocolError).line).toBe(2);
    }
  });

  it('rejects a stream that ends inside a multi-byte character', () => {
    expect(() => linesOf([Uint8Array.of(0x61, 0xe6, 0x97)])).toThrow(/not valid UTF-8/);
  });

  it('stays linear on a long line delivered in small chunks', () => {
    // 4 MB in 1 KiB chunks: a quadratic splitter needs seconds here; this one needs milliseconds.
    const chunk = encoder.encode('x'.repeat(1024));
    const lines: string[] = [];
    const decoder = new LineDecoder((line) => lines.push(line));
    for (let i = 0; i < 4096; i += 1) decoder.write(chunk);
    decoder.write(encoder.encode('\n'));
    decoder.end();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveLength(4 * 1024 * 1024);
  });
});

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

  it('rejects a line that is JSON but not an object', () => {
    expect(() => decodeAll([encoder.encode('[1,2]\n')])).toThrow(/line 1 is not an Agent Graph event/);
  });
});

describe('LineDecoder with bytes that are not UTF-8', () => {
  const good = encoder.encode('{"a":"é"}\n{"b":"日本"}\n');
  const bad = Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d, 0x0a);

  it.each([
    ['in one chunk', [new Uint8Array([...good, ...bad])]],
    ['byte by byte', [...good, ...bad].map((byte) => Uint8Array.of(byte))],
    ['cut inside a character', [good.subarray(0, 7), new Uint8Array([...good.subarray(7), ...bad])]],
  ])('hands on every line before the bad one (%s), then names it', (_, chunks) => {
    const lines: string[] = [];
    const decoder = new LineDecoder((line) => lines.push(line));
    let error: unknown;
    try {
      for (const chunk of chunks) decoder.write(chunk);
      decoder.end();
    } catch (caught) {
      error = caught;
    }
    expect(lines).toEqual(['{"a":"é"}', '{"b":"日本"}']);
    expect(error).toMatchObject({ reason: 'invalid-utf8', line: 3 });
  });
});
