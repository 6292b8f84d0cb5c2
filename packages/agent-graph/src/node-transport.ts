// The default transport in Node: undici's `Dispatcher.request` over a pooled, keep-alive `Agent`. It
// answers in the shape of `fetch` (status, `headers.get`, a body of byte chunks) and keeps fetch's rules:
// no redirect is followed (a 3xx comes back as it is), no answer is decompressed, the ports the Fetch
// standard calls "bad" are refused, and undici gives up by itself after 300 s without headers or body
// bytes, as Node's fetch does. Each request costs a fraction of a fetch's CPU: no WHATWG streams, no
// Request/Response objects. undici is loaded on the first request, so a client given its own `fetch`
// never loads it.

import type { Agent, Dispatcher } from 'undici';
import type { FetchLike, TransportRequest, TransportResponse } from './transport.js';

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

/** A `FetchLike` on undici's request API with its own connection pool. */
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

  return async (url: string, init: TransportRequest): Promise<TransportResponse> => {
    const target = targetOf(url);
    if (target.badPort) {
      // The shape of fetch's own refusal: a TypeError whose cause says "bad port"; nothing is sent.
      throw new TypeError('fetch failed', { cause: new Error('bad port') });
    }
    agent ??= new (loadUndici().Agent)({
      connections: settings.connections ?? null,
      pipelining: settings.pipelining ?? 1,
      keepAliveTimeout: settings.keepAliveTimeoutMs ?? 4_000,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
    const options: Dispatcher.RequestOptions = {
      origin: target.origin,
      path: target.path,
      method: init.method,
      headers: init.headers,
      body: init.body ?? null,
      signal: init.signal,
    };
    const { statusCode, headers, body } = await agent.request(options);
    return { status: statusCode, headers: new HeaderView(headers), body };
  };
}
