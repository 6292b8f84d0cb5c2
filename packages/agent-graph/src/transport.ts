// The transport: one HTTP POST, its status, headers and body as a stream of byte chunks. HTTP only:
// no retries, no timeouts, no meaning. Any `fetch`-shaped function can stand in for the platform fetch
// (n8n's request helpers, a proxy-aware fetch, a test double).

/** The part of a fetch `Response` the client reads. */
export interface TransportResponse {
  status: number;
  headers: { get(name: string): string | null };
  /** A WHATWG ReadableStream (fetch) or any async iterable of bytes (a Node Readable). */
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null;
}

export interface TransportRequest {
  method: 'POST' | 'GET' | 'PUT' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** A `fetch`-compatible function: `globalThis.fetch` satisfies it. */
export type FetchLike = (url: string, init: TransportRequest) => Promise<TransportResponse>;

export const platformFetch: FetchLike = (url, init) => globalThis.fetch(url, init) as Promise<TransportResponse>;

/**
 * Calls `onChunk` for every chunk of `body` until it ends, `onChunk` returns false, or `signal` aborts;
 * rejects if the connection breaks. Whatever is left unread is cancelled.
 */
export async function readBody(
  body: TransportResponse['body'],
  onChunk: (chunk: Uint8Array) => boolean | void,
  signal: AbortSignal,
): Promise<void> {
  if (body === null) return;
  const stream = body as ReadableStream<Uint8Array>;
  if (typeof stream.getReader === 'function') {
    const reader = stream.getReader();
    let finished = false;
    // fetch errors its body when the signal aborts; cancelling as well covers any other stream.
    const cancel = (): void => void reader.cancel().catch(() => undefined);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      while (!signal.aborted) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          return;
        }
        if (onChunk(value) === false) return;
      }
    } finally {
      signal.removeEventListener('abort', cancel);
      if (!finished) cancel();
      else reader.releaseLock();
    }
    return;
  }
  const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  let finished = false;
  const stop = (): void => void Promise.resolve(iterator.return?.()).catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    while (!signal.aborted) {
      const { done, value } = await iterator.next();
      if (done) {
        finished = true;
        return;
      }
      if (onChunk(typeof value === 'string' ? new TextEncoder().encode(value) : value) === false) return;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    if (!finished) stop();
  }
}

/** Reads a whole body as text, stopping at `limit` characters (the rest is cancelled). */
export async function readText(
  body: TransportResponse['body'],
  signal: AbortSignal,
  limit = Infinity,
): Promise<string> {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let length = 0;
  await readBody(
    body,
    (chunk) => {
      const text = decoder.decode(chunk, { stream: true });
      parts.push(text);
      length += text.length;
      return length < limit;
    },
    signal,
  );
  if (length < limit) parts.push(decoder.decode());
  const text = parts.join('');
  return text.length > limit ? text.slice(0, limit) : text;
}

/** The system error code behind a failed fetch (`ECONNREFUSED`, `UND_ERR_SOCKET`, …), if any. */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Codes that prove the request never reached the server, so re-sending cannot repeat it. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
