// The transport: one HTTP POST, its status, headers and body as a stream of byte chunks. HTTP only:
// no retries, no timeouts, no meaning. Any `fetch`-shaped function can stand in for the platform fetch
// (n8n's request helpers, a proxy-aware fetch, a test double).

/** The part of a fetch `Response` the client reads. */
export interface TransportResponse {
  status: number;
  headers: { get(name: string): string | null };
  /**
   * A WHATWG ReadableStream (fetch), any async iterable of bytes (a Node Readable), or a source that
   * hands its chunks to one reader (the default transport's).
   */
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | ChunkSource | null;
}

/** A body that hands each chunk to its one reader as it arrives; the default transport's. */
export interface ChunkSource {
  /**
   * Calls `onChunk` for every chunk until the body ends (resolves), breaks (rejects), `onChunk` returns
   * false or throws (the rest is not read), or the request's signal aborts (resolves).
   */
  readChunks(onChunk: (chunk: Uint8Array) => boolean | void): Promise<void>;
}

export interface TransportRequest {
  method: 'POST' | 'GET' | 'PUT' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Always `'manual'`: a 3xx comes back as it is, and the client refuses it. */
  redirect: 'manual';
}

/** A `fetch`-compatible function: `globalThis.fetch` satisfies it. */
export type FetchLike = (url: string, init: TransportRequest) => Promise<TransportResponse>;

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
  if (typeof (body as Partial<ChunkSource>).readChunks === 'function') {
    return (body as ChunkSource).readChunks(onChunk);
  }
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
  if (isNodeReadable(body)) return readNodeStream(body, onChunk, signal);
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

/** The part of a Node `Readable` (undici's bodies, `http.IncomingMessage`) read without an async iterator. */
interface NodeReadable {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  destroy(): unknown;
}

function isNodeReadable(body: unknown): body is NodeReadable {
  const stream = body as Partial<NodeReadable> & { pipe?: unknown };
  return typeof stream.on === 'function' && typeof stream.off === 'function' && typeof stream.pipe === 'function';
}

const ignore = (): void => undefined;

/**
 * `readBody` for a Node stream, by its events: a short answer costs a few listeners, not an async
 * iterator and a promise per chunk. Chunks are handed on as they arrive, so a synchronous `onChunk`
 * keeps memory bounded as the iterator did.
 */
function readNodeStream(
  stream: NodeReadable,
  onChunk: (chunk: Uint8Array) => boolean | void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('error', onError);
      // An error after the end (a late reset, our own stop) has nobody left to tell.
      stream.on('error', ignore);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    // Whatever is left unread is cancelled.
    const stop = (error?: unknown): void => {
      finish(error);
      stream.destroy();
    };
    const onData = (chunk: Uint8Array | string): void => {
      try {
        if (onChunk(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk) === false) stop();
      } catch (error) {
        stop(error);
      }
    };
    const onEnd = (): void => finish();
    const onError = (error: unknown): void => finish(error);
    const onClose = (): void =>
      finish(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    const onAbort = (): void => stop();
    if (signal.aborted) {
      stop();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('error', onError);
    stream.on('end', onEnd);
    stream.on('close', onClose);
    stream.on('data', onData);
  });
}

/** Gathers a body's chunks as text; a multi-byte character split across chunks is joined. */
export class TextCollector {
  private readonly decoder = new TextDecoder();
  private readonly parts: string[] = [];
  /** Characters gathered so far. */
  length = 0;

  add(chunk: Uint8Array): void {
    const text = this.decoder.decode(chunk, { stream: true });
    this.parts.push(text);
    this.length += text.length;
  }

  text(): string {
    this.parts.push(this.decoder.decode());
    return this.parts.join('');
  }
}
