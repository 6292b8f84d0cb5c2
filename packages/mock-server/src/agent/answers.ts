// How the mock writes an answer a fault asks for: an error body, a raw body, or the invoke stream
// with its keep-alives, pauses, stalls, resets and error lines.

import type { ServerResponse } from 'node:http';
import { RpcCode } from 'connectly-agent-graph/wire';
import { ChunkWriter, delay, resetConnection, splitKeepingNewlines } from '../plumbing/http.js';
import type { StreamRecord } from '../server-types.js';
import { type Fault, codeForStatus } from './faults.js';

/** What the server records about one response while writing it. */
export type ResponseRecord = Pick<StreamRecord, 'sessionId' | 'reset' | 'eventsWritten'>;

/** Answers `fault.status` with an error body of the shape the fault names (default: the endpoint's own). */
export function sendError(res: ServerResponse, endpoint: string, fault: Fault): void {
  const status = fault.status ?? 500;
  const rpc = {
    code: fault.code ?? codeForStatus(status),
    message: fault.message ?? `injected HTTP ${status}`,
    details: fault.details ?? [],
  };
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  const shape = fault.errorBody ?? (endpoint === 'invoke' || endpoint === 'close' ? 'wrapped' : 'status');
  switch (shape) {
    case 'html':
      res.writeHead(status, { ...headers, 'content-type': 'text/html' });
      res.end(
        `<html><head><title>${status} Error</title></head><body><h1>${status}</h1><p>upstream proxy error</p></body></html>`,
      );
      return;
    case 'empty':
      res.writeHead(status, headers);
      res.end();
      return;
    case 'wrapped':
      res.writeHead(status, { ...headers, 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ error: rpc })}\n`);
      return;
    case 'status':
      res.writeHead(status, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(rpc));
  }
}

/** Sends `fault.body` (or `bodyBase64`) as it is, line by line when the fault paces lines. */
export async function sendRaw(res: ServerResponse, fault: Fault, record: ResponseRecord): Promise<void> {
  const bytes =
    fault.bodyBase64 !== undefined
      ? Buffer.from(fault.bodyBase64, 'base64')
      : typeof fault.body === 'string'
        ? Buffer.from(fault.body, 'utf8')
        : Buffer.from(fault.body as Uint8Array);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  res.writeHead(fault.status ?? 200, headers);
  const writer = new ChunkWriter(res, fault.chunkSize);
  const pieces = fault.lineDelayMs ? splitKeepingNewlines(bytes) : [bytes];
  for (const [index, piece] of pieces.entries()) {
    if (index > 0 && fault.lineDelayMs && !(await delay(fault.lineDelayMs, res))) return;
    if (!(await writer.write(piece))) return;
  }
  if (fault.resetAfterEvents !== undefined) await resetConnection(res, record);
  else res.end();
}

/**
 * Streams `events` as NDJSON lines, shaped by the fault: its line ending, envelope, events per line
 * and chunking; keep-alives, pacing, a stall, a reset or an error line at the point it names.
 */
export async function streamEvents(
  res: ServerResponse,
  sessionId: string,
  events: unknown[],
  fault: Fault,
  record: ResponseRecord,
  pacingMs: number,
): Promise<void> {
  const ending = fault.lineEnding ?? '\n';
  const perLine = Math.max(1, fault.eventsPerLine ?? 1);
  const pacing = fault.lineDelayMs ?? pacingMs;
  const writer = new ChunkWriter(res, fault.chunkSize);
  const lineOf = (group: unknown[]): string => {
    const response = { sessionId, responseEvents: group };
    switch (fault.envelope ?? 'result') {
      case 'bare':
        return group.map((event) => JSON.stringify(event)).join(ending);
      case 'response':
        return JSON.stringify({ response });
      case 'result':
        return JSON.stringify({ result: { response } });
    }
  };
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  res.flushHeaders();
  // A real agent thinks before its first line: say so with a keep-alive.
  if (!(await writer.write(ending))) return;
  let stalled = false;
  let sent = 0;
  for (let start = 0; start < events.length; start += perLine) {
    if (start > 0 && pacing > 0 && !(await pause(res, writer, pacing, ending, fault.keepAliveEveryMs))) return;
    if (fault.stall === 'body' && !stalled && sent >= (fault.afterEvents ?? 1)) {
      stalled = true;
      if (!(await delay(fault.stallMs ?? Infinity, res))) return;
    }
    if (fault.errorAfterEvents !== undefined && sent >= fault.errorAfterEvents) break;
    const text = lineOf(events.slice(start, start + perLine));
    if (fault.resetAfterEvents !== undefined && sent >= fault.resetAfterEvents) {
      if (fault.resetMidLine) await writer.write(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      await resetConnection(res, record);
      return;
    }
    if (fault.keepAlive && !(await writer.write(ending.repeat(fault.keepAlive)))) return;
    const last = start + perLine >= events.length;
    const terminated = !last || fault.finalNewline !== false || fault.errorAfterEvents !== undefined;
    if (!(await writer.write(terminated ? text + ending : text))) return;
    sent += Math.min(perLine, events.length - start);
    record.eventsWritten = sent;
  }
  if (fault.resetAfterEvents !== undefined) {
    await resetConnection(res, record);
    return;
  }
  if (fault.errorAfterEvents !== undefined) {
    const error = {
      error: {
        code: fault.code ?? RpcCode.INTERNAL,
        message: fault.message ?? 'injected error mid-stream',
        details: fault.details ?? [],
      },
    };
    await writer.write(JSON.stringify(error) + (fault.errorFinalNewline === false ? '' : ending));
  }
  if (!res.destroyed) res.end();
}

// Waits between lines; with `every`, sends blank keep-alive lines meanwhile, as a busy agent does.
async function pause(res: ServerResponse, writer: ChunkWriter, ms: number, ending: string, every?: number) {
  if (!every) return delay(ms, res);
  for (let waited = 0; waited < ms; waited += every) {
    if (!(await delay(Math.min(every, ms - waited), res))) return false;
    if (waited + every < ms && !(await writer.write(ending))) return false;
  }
  return true;
}
