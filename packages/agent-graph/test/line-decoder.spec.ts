// The NDJSON line decoder on its own: bytes in, lines out, whatever the chunking.
import { ConnectlyProtocolError, LineDecoder } from '../src/index.js';

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

  it('drops a byte-order mark only at the start of the body, however the chunks end', () => {
    const bom = '\uFEFF';
    expect(linesOf([`${bom}a\n`, `${bom}b\n`])).toEqual(['a', `${bom}b`]);
    expect(linesOf([`${bom}a`, `\n${bom}b\n`, `${bom}c\n`])).toEqual(['a', `${bom}b`, `${bom}c`]);
    expect(linesOf([`a\n`, `${bom}b`, `\n`])).toEqual(['a', `${bom}b`]);
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
