// The default transport in Node: undici's `Dispatcher.dispatch` over a pooled, keep-alive `Agent`. It
// answers in the shape of `fetch` (status, `headers.get`, a body of byte chunks) and keeps fetch's rules:
// no redirect is followed (a 3xx comes back as it is), no answer is decompressed, the ports the Fetch
// standard calls "bad" are refused, and undici gives up by itself after 300 s without headers or body
// bytes, as Node's fetch does. Each request costs a fraction of a fetch's CPU: no WHATWG streams, no
// Request/Response objects. undici is loaded on the first request, so a client given its own `fetch`
// never loads it.

import type { Agent, Dispatcher } from 'undici';
import type { ChunkSource, FetchLike, TransportRequest, TransportResponse } from './transport.js';

/** The default transport, like Node's fetch, gives up by itself after 300 s without headers, or without body bytes. */
export const TRANSPORT_LIMIT_MS = 300_000;

/** How the default transport pools its connections. */
export interface PoolSettings {
  /**
   * Most connections kept open to one origin (scheme, host and port); a turn past it waits for a free
   * one. Default: no limit, one connection per turn in flight, as Node's fetch does.
   */
  connections?: number;
  /** How long an idle connection is kept for the next turn, in ms. Default 4 000. */
  keepAliveTimeoutMs?: number;
  /**
   * Requests sent on one connection before its answer ends. Default 1: no pipelining, so a long reply
   * never holds up another turn's.
   */
  pipelining?: number;
}

type Undici = typeof import('undici');

let undici: Undici | undefined;

function loadUndici(): Undici {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (undici ??= require('undici') as Undici);
}

// The ports the Fetch standard refuses to connect to, refused here too, so a transport change never
// sends a request where fetch would not.
const BAD_PORTS: ReadonlySet<string> = new Set(
  (
    '1 7 9 11 13 15 17 19 20 21 22 23 25 37 42 43 53 69 77 79 87 95 101 102 103 104 109 110 111 113 115 117 ' +
    '119 123 135 137 139 143 161 179 389 427 465 512 513 514 515 526 530 531 532 540 548 554 556 563 587 601 ' +
    '636 989 990 993 995 1719 1720 1723 2049 3659 4045 4190 5060 5061 6000 6566 6665 6666 6667 6668 6669 6679 ' +
    '6697 10080'
  ).split(' '),
);

/** Where one URL goes, parsed once: the client sends to a handful of URLs over and over. */
interface Target {
  origin: string;
  path: string;
  badPort: boolean;
}

/** A response's headers as undici gives them (lower-case names), read the way fetch's `Headers` are. */
class HeaderView {
  constructor(private readonly headers: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }
}

// A request's answer waiting for its reader, at most this many bytes, before the socket is paused.
const QUEUE_LIMIT = 64 * 1024;

/**
 * One request on undici's `dispatch`: the answer's head resolves `start()`, its body is handed
 * chunk by chunk to the one reader (`readChunks`), with no Node stream, async iterator or extra
 * listener between them. The call's signal aborts it in any phase, queued, connecting, or streaming.
 */
class Exchange implements Dispatcher.DispatchHandler, ChunkSource {
  private controller: Dispatcher.DispatchController | undefined;
  private head: { resolve(response: TransportResponse): void; reject(error: unknown): void } | undefined;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private reader: ((chunk: Uint8Array) => boolean | void) | undefined;
  private read: { resolve(): void; reject(error: unknown): void } | undefined;
  // How the answer ended on the wire: undefined while it is still arriving.
  private source: { error?: unknown } | undefined;
  // Set once the reader has its outcome (or the request was aborted): nothing more is delivered.
  private done = false;

  constructor(private readonly signal: AbortSignal) {}

  start(agent: Agent, options: Dispatcher.DispatchOptions): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) {
        reject(this.signal.reason);
        return;
      }
      this.head = { resolve, reject };
      this.signal.addEventListener('abort', this.onAbort, { once: true });
      agent.dispatch(options, this);
    });
  }

  readChunks(onChunk: (chunk: Uint8Array) => boolean | void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.done) {
        resolve();
        return;
      }
      this.read = { resolve, reject };
      const queue = this.queue;
      this.queue = [];
      this.queued = 0;
      for (const chunk of queue) if (!this.deliver(onChunk, chunk)) return;
      if (this.source !== undefined) {
        this.settle(this.source.error);
        return;
      }
      this.reader = onChunk;
      if (this.controller?.paused) this.controller.resume();
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(abortReason(this.signal));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come
    const head = this.head;
    this.head = undefined;
    head?.resolve({ status: statusCode, headers: new HeaderView(headers), body: this });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Uint8Array): void {
    if (this.done) return;
    if (this.reader !== undefined) {
      this.deliver(this.reader, chunk);
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.byteLength;
    if (this.queued > QUEUE_LIMIT) controller.pause();
  }

  onResponseEnd(): void {
    this.source = {};
    if (this.reader !== undefined) this.settle();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const head = this.head;
    this.head = undefined;
    if (head !== undefined) {
      this.done = true;
      this.signal.removeEventListener('abort', this.onAbort);
      head.reject(this.signal.aborted ? this.signal.reason : error);
      return;
    }
    this.source = { error };
    if (this.reader !== undefined) this.settle(error);
  }

  // The reader learns of an abort from the signal itself: its read resolves, and it checks signal.aborted.
  private readonly onAbort = (): void => {
    const head = this.head;
    this.head = undefined;
    this.settle();
    this.controller?.abort(abortReason(this.signal));
    head?.reject(this.signal.reason);
  };

  /** Hands one chunk to the reader; false once it has stopped (returned false or threw). */
  private deliver(reader: (chunk: Uint8Array) => boolean | void, chunk: Uint8Array): boolean {
    let more: boolean | void;
    try {
      more = reader(chunk);
    } catch (error) {
      this.halt(error);
      return false;
    }
    if (more !== false) return true;
    this.halt();
    return false;
  }

  /** The reader is done before the end: the rest of the answer is not read, the connection is closed. */
  private halt(error?: unknown): void {
    const open = this.source === undefined;
    this.settle(error);
    if (open) this.controller?.abort(new Error('The answer was not read to its end'));
  }

  private settle(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.reader = undefined;
    this.queue = [];
    this.signal.removeEventListener('abort', this.onAbort);
    const read = this.read;
    this.read = undefined;
    if (read === undefined) return;
    if (error === undefined) read.resolve();
    else read.reject(error);
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('The call was aborted');
}

type Headers = Record<string, string | string[] | undefined>;

/** A `FetchLike` on undici's dispatch API with its own connection pool. */
export function undiciTransport(settings: PoolSettings = {}): FetchLike {
  let agent: Agent | undefined;
  const targets = new Map<string, Target>();

  const targetOf = (url: string): Target => {
    let target = targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      target = {
        origin: parsed.origin,
        path: `${parsed.pathname}${parsed.search}`,
        badPort: BAD_PORTS.has(parsed.port),
      };
      if (targets.size >= 64) targets.clear();
      targets.set(url, target);
    }
    return target;
  };

  return (url: string, init: TransportRequest): Promise<TransportResponse> => {
    const target = targetOf(url);
    if (target.badPort) {
      // The shape of fetch's own refusal: a TypeError whose cause says "bad port"; nothing is sent.
      return Promise.reject(new TypeError('fetch failed', { cause: new Error('bad port') }));
    }
    agent ??= new (loadUndici().Agent)({
      connections: settings.connections ?? null,
      pipelining: settings.pipelining ?? 1,
      keepAliveTimeout: settings.keepAliveTimeoutMs ?? 4_000,
      headersTimeout: TRANSPORT_LIMIT_MS,
      bodyTimeout: TRANSPORT_LIMIT_MS,
    });
    return new Exchange(init.signal).start(agent, {
      origin: target.origin,
      path: target.path,
      method: init.method,
      headers: init.headers,
      body: init.body ?? null,
    });
  };
}
