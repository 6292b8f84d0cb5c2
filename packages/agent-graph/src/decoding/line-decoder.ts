// The NDJSON line decoder: bytes in, lines out. No HTTP, no JSON, no RxJS.
//
// Linear in line length and in chunk count: each chunk is decoded once (one streaming TextDecoder,
// so a multi-byte character split across chunks is joined), only the newly decoded text is searched
// for '\n', and an unfinished line is kept as a list of pieces that is joined once, when its '\n'
// arrives. Re-scanning or re-concatenating the carried text on every chunk is what makes the popular
// splitters quadratic on long lines.

import { ConnectlyProtocolError } from '../errors/errors.js';
import { type Sanitize, safeExcerpt } from '../errors/redaction.js';

/** 32 Mi characters: far above any real event, low enough to stop a runaway line. */
export const DEFAULT_MAX_LINE_LENGTH = 32 * 1024 * 1024;

export interface LineDecoderOptions {
  /** Longest line accepted, in characters; `Infinity` disables the check. Default 32 Mi. */
  maxLineLength?: number;
  /** Applied to any server text that ends up in an error message. */
  sanitize?: Sanitize;
}

/**
 * Receives each complete line, without its '\n' and without one trailing '\r'.
 * Blank lines are passed on too: what a blank line means is the caller's business.
 */
export type LineHandler = (line: string, lineNumber: number) => void;

// Whole-chunk decoders, shared: a chunk that ends with '\n' ends on a character boundary, so it needs no
// streaming state, and Node decodes it on its fast path, without the converter a streaming decode
// sets up. Never used with `stream: true` (that would turn their fast path off). The first chunk of a
// body drops a byte-order mark, as the streaming decoder does; a later one keeps it.
const FIRST_CHUNK = new TextDecoder('utf-8', { fatal: true });
const LATER_CHUNK = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class LineDecoder {
  // Set up when the first chunk that does not end with '\n' arrives; until then every chunk is whole.
  private decoder: TextDecoder | undefined;
  private bytesSeen = false;
  private readonly maxLineLength: number;
  private readonly sanitize: Sanitize;
  private pending: string[] = [];
  private pendingLength = 0;
  private lineNumber = 0;
  // The last 3 bytes written: where an unfinished multi-byte character may start.
  private readonly tail = new Uint8Array(3);
  private tailLength = 0;

  constructor(
    private readonly onLine: LineHandler,
    options: LineDecoderOptions = {},
  ) {
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.sanitize = options.sanitize ?? ((text) => text);
  }

  write(chunk: Uint8Array): void {
    let text: string;
    try {
      if (this.decoder === undefined && chunk[chunk.length - 1] === 10) {
        text = (this.bytesSeen ? LATER_CHUNK : FIRST_CHUNK).decode(chunk);
      } else {
        this.decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: this.bytesSeen });
        text = this.decoder.decode(chunk, { stream: true });
      }
    } catch {
      this.salvage(chunk);
    }
    if (chunk.length > 0) this.bytesSeen = true;
    this.remember(chunk);
    if (text.length > 0) this.scan(text);
  }

  private remember(chunk: Uint8Array): void {
    const tail = this.tail;
    if (chunk.length >= 3) {
      tail[0] = chunk[chunk.length - 3] as number;
      tail[1] = chunk[chunk.length - 2] as number;
      tail[2] = chunk[chunk.length - 1] as number;
      this.tailLength = 3;
      return;
    }
    for (const byte of chunk) {
      tail[0] = tail[1] as number;
      tail[1] = tail[2] as number;
      tail[2] = byte;
    }
    this.tailLength = Math.min(3, this.tailLength + chunk.length);
  }

  /**
   * The chunk holds bytes that are not UTF-8. Hands on every complete line before the bad one
   * (decoding line by line with a fresh decoder), then throws, naming the bad line.
   */
  private salvage(chunk: Uint8Array): never {
    const bytes = concat(unfinishedCharacter(this.tail.subarray(3 - this.tailLength)), chunk);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (let start = 0; start < bytes.length;) {
      const newline = bytes.indexOf(10, start);
      const end = newline === -1 ? bytes.length : newline + 1;
      let text: string;
      try {
        text = decoder.decode(bytes.subarray(start, end), { stream: true });
      } catch {
        break;
      }
      this.scan(text);
      start = end;
    }
    throw this.invalidUtf8();
  }

  /** Takes text that is already decoded (a whole unary body, say), by the same line rules. */
  writeText(text: string): void {
    if (text.length > 0) this.scan(text);
  }

  /** Flushes the decoder and hands on a final line that had no '\n'. */
  end(): void {
    let text: string;
    try {
      text = this.decoder?.decode() ?? '';
    } catch {
      throw this.invalidUtf8();
    }
    if (text.length > 0) this.scan(text);
    if (this.pendingLength > 0) {
      const line = this.pending.join('');
      this.pending = [];
      this.pendingLength = 0;
      this.emit(line);
    }
  }

  private scan(text: string): void {
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      let line: string;
      if (this.pendingLength > 0) {
        this.pending.push(text.slice(start, newline));
        line = this.pending.join('');
        this.pending = [];
        this.pendingLength = 0;
      } else {
        line = text.slice(start, newline);
      }
      if (line.length > this.maxLineLength) throw this.tooLong(line);
      this.emit(line);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      this.pendingLength += rest.length;
      this.pending.push(rest);
      if (this.pendingLength > this.maxLineLength) throw this.tooLong(this.pending[0] ?? '');
    }
  }

  private emit(line: string): void {
    this.lineNumber += 1;
    this.onLine(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line, this.lineNumber);
  }

  private tooLong(head: string): ConnectlyProtocolError {
    return new ConnectlyProtocolError({
      reason: 'line-too-long',
      line: this.lineNumber + 1,
      preview: safeExcerpt(head, this.sanitize),
      message:
        `Stream line ${this.lineNumber + 1} is longer than maxLineLength (${this.maxLineLength} characters). ` +
        'If the server really sends events this large, raise the maxLineLength option',
    });
  }

  private invalidUtf8(): ConnectlyProtocolError {
    return new ConnectlyProtocolError({
      reason: 'invalid-utf8',
      line: this.lineNumber + 1,
      message: `Stream line ${this.lineNumber + 1} is not valid UTF-8: the server sent bytes that are not text`,
    });
  }
}

/** A blank or whitespace-only line: a keep-alive, which carries no data. */
export function isKeepAlive(line: string): boolean {
  return line.trim().length === 0;
}

/** The first line of `text` that is not a keep-alive, split by the stream's rules; '' when there is none. */
export function firstLine(text: string): string {
  let first: string | undefined;
  const lines = new LineDecoder(
    (line) => {
      if (first === undefined && !isKeepAlive(line)) first = line;
    },
    { maxLineLength: Infinity },
  );
  lines.writeText(text);
  lines.end();
  return first ?? '';
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The bytes at the end of `tail` that begin a multi-byte character and do not finish it. */
function unfinishedCharacter(tail: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(3, tail.length); back += 1) {
    const byte = tail[tail.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? tail.subarray(tail.length - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}
