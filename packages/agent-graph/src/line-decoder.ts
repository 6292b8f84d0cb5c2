// The NDJSON line decoder: bytes in, lines out. No HTTP, no JSON, no RxJS.
//
// Linear in line length and in chunk count: each chunk is decoded once (one streaming TextDecoder,
// so a multi-byte character split across chunks is joined), only the newly decoded text is searched
// for '\n', and an unfinished line is kept as a list of pieces that is joined once, when its '\n'
// arrives. Re-scanning or re-concatenating the carried text on every chunk is what makes the popular
// splitters quadratic on long lines.

import { ConnectlyProtocolError, excerpt } from './errors.js';

/** 32 Mi characters: far above any real event, low enough to stop a runaway line. */
export const DEFAULT_MAX_LINE_LENGTH = 32 * 1024 * 1024;

export interface LineDecoderOptions {
  /** Longest line accepted, in characters; `Infinity` disables the check. Default 32 Mi. */
  maxLineLength?: number;
}

/**
 * Receives each complete line, without its '\n' and without one trailing '\r'.
 * Blank lines are passed on too: what a blank line means is the caller's business.
 */
export type LineHandler = (line: string, lineNumber: number) => void;

export class LineDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly maxLineLength: number;
  private pending: string[] = [];
  private pendingLength = 0;
  private lineNumber = 0;

  constructor(
    private readonly onLine: LineHandler,
    options: LineDecoderOptions = {},
  ) {
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  }

  /** Number of complete lines seen so far. */
  get lines(): number {
    return this.lineNumber;
  }

  /** True while part of a line is waiting for its '\n'. */
  get hasPartialLine(): boolean {
    return this.pendingLength > 0;
  }

  write(chunk: Uint8Array): void {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      throw this.invalidUtf8();
    }
    if (text.length > 0) this.scan(text);
  }

  /** Flushes the decoder and hands on a final line that had no '\n'. */
  end(): void {
    let text: string;
    try {
      text = this.decoder.decode();
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
      preview: excerpt(head.slice(0, 200)),
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
