// HTTP plumbing of the mock: reading a request body, writing in chunks (fixed or seeded ragged sizes)
// with backpressure, waiting on a client that may leave, cutting a connection with a reset. No Connectly
// meaning here beyond the gRPC status that a failure answers with.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { RpcCode } from 'connectly-agent-graph/wire';
import { seededRandom } from './seeded.js';

/** An error the mock answers with: an HTTP status and the gRPC code and message of its body. */
export class RpcFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The largest request body the mock reads. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/**
 * Reads the request body. One over 8 MiB is refused with a 413 once the rest has been read and
 * thrown away, so the client gets the answer instead of a reset connection.
 */
export function readRequestBody(req: IncomingMessage): Promise<string> {
  const tooLarge = (): RpcFailure => new RpcFailure(413, RpcCode.RESOURCE_EXHAUSTED, 'request body larger than 8 MiB');
  if (Number(req.headers['content-length']) > MAX_REQUEST_BYTES) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () =>
      size > MAX_REQUEST_BYTES ? reject(tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes a body in pieces of a fixed or ragged size, respecting backpressure; false once the client has gone. */
export class ChunkWriter {
  private readonly nextSize: (() => number) | undefined;

  constructor(
    private readonly res: ServerResponse,
    chunkSize: number | 'ragged' | undefined,
  ) {
    if (chunkSize === 'ragged') {
      const random = seededRandom(7);
      this.nextSize = () => 1 + Math.floor(random() * 17);
    } else if (typeof chunkSize === 'number' && chunkSize > 0) this.nextSize = () => chunkSize;
  }

  async write(data: string | Uint8Array): Promise<boolean> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (!this.nextSize) return writeOnce(this.res, bytes);
    for (let offset = 0; offset < bytes.length;) {
      const size = this.nextSize();
      if (!(await writeOnce(this.res, bytes.subarray(offset, offset + size)))) return false;
      offset += size;
    }
    return true;
  }
}

function writeOnce(res: ServerResponse, bytes: Uint8Array): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(bytes)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/**
 * Cuts the connection with a TCP reset, after what was written has left (and had a moment to be read),
 * so the client sees exactly the bytes written and then the reset. `record.reset` is set first, so the
 * response's 'close' knows the cut was on purpose.
 */
export async function resetConnection(res: ServerResponse, record: { reset: boolean }): Promise<void> {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  record.reset = true;
  // 'drain' only fires after a refused write, so poll until the socket's buffer is empty (bounded).
  for (let waited = 0; socket.writableLength > 0 && waited < 1000; waited += 5) await delay(5, res);
  await delay(30, res);
  if (!socket.destroyed) socket.resetAndDestroy();
}

/** Waits `ms` (Infinity: until the client leaves); resolves false if the client left first. */
export function delay(ms: number, res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(() => done(true), ms) : undefined;
    const onClose = (): void => done(false);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      res.off('close', onClose);
      resolve(ok);
    };
    res.once('close', onClose);
  });
}

/** Splits bytes after each '\n', keeping it. */
export function splitKeepingNewlines(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let index = bytes.indexOf(10); index !== -1; index = bytes.indexOf(10, start)) {
    pieces.push(bytes.subarray(start, index + 1));
    start = index + 1;
  }
  if (start < bytes.length) pieces.push(bytes.subarray(start));
  return pieces;
}
