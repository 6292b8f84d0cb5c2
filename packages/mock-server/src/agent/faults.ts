// Fault injection: how a test asks the mock to misbehave, programmatically or with an `x-mock-fault` header.

import { type Endpoint, rpcCodeForHttpStatus } from 'connectly-agent-graph/wire';

export type MockEndpoint = Endpoint;

export interface Fault {
  /** The endpoint it applies to; `'*'` for any. Default `'invoke'`. */
  endpoint?: MockEndpoint | '*';
  /** How many requests it applies to. Default 1. */
  times?: number;
  /** Only requests for this session take the fault (concurrent tests can then each fault their own). */
  sessionId?: string;
  /** Wait this long before sending the response headers. */
  delayMs?: number;
  /** Hold the response open without sending anything: before the headers, or (invoke) after `afterEvents` events. */
  stall?: 'headers' | 'body';
  /** How long a stall lasts; default: until the client leaves or the server stops. */
  stallMs?: number;
  /** With `stall: 'body'`, how many events to send first. Default 1. */
  afterEvents?: number;
  /** Answer with this HTTP status and an error body instead of the normal answer. */
  status?: number;
  /** rpc code of the error body; default: the code grpc-gateway pairs with `status`. */
  code?: number;
  message?: string;
  details?: unknown[];
  /** Shape of the error body: a bare status, `{"error":…}`, an HTML proxy page, or nothing. */
  errorBody?: 'status' | 'wrapped' | 'html' | 'empty';
  /** `Retry-After` header, in seconds or as an HTTP date. */
  retryAfter?: string | number;
  /** invoke: send an `{"error":…}` line (HTTP 200) after this many events. */
  errorAfterEvents?: number;
  /** Whether that error line ends with '\n'. Default true. */
  errorFinalNewline?: boolean;
  /** invoke: destroy the connection after this many events. */
  resetAfterEvents?: number;
  /** With `resetAfterEvents`: send half of the next line before the reset. */
  resetMidLine?: boolean;
  /** Write the body in pieces of this many bytes (1 = byte by byte); `'ragged'` for seeded random sizes of 1–17 bytes. */
  chunkSize?: number | 'ragged';
  /** Wait between lines, in ms. */
  lineDelayMs?: number;
  /** During `lineDelayMs` pauses, send a blank keep-alive line this often (ms). */
  keepAliveEveryMs?: number;
  /** Blank keep-alive lines before every event line (a flood: use hundreds). */
  keepAlive?: number;
  /** Send exactly this body (HTTP `status`, default 200) instead of the agent's answer. */
  body?: string | Uint8Array;
  /** The same as raw bytes, base64-encoded (for the header form: invalid UTF-8, a BOM…). */
  bodyBase64?: string;
  /** Reply with these response events instead of the demo agent's. */
  events?: unknown[];
  /** Put this many events on each line. Default 1. */
  eventsPerLine?: number;
  /** Line ending of the stream. Default '\n'. */
  lineEnding?: '\n' | '\r\n';
  /** Whether the last line ends with its line ending. Default true. */
  finalNewline?: boolean;
  /** Envelope of each line: the wire's `{"result":{"response":…}}`, a bare `{"response":…}`, or bare events. */
  envelope?: 'result' | 'response' | 'bare';
  /** health: answer `healthy: false` (sent as `{"response":{}}`, as protobuf JSON omits false). */
  unhealthy?: boolean;
}

/** The rpc code grpc-gateway uses for an HTTP status. */
export const codeForStatus: (status: number) => number = rpcCodeForHttpStatus;

/** Faults queued with `inject()`, each used by as many matching requests as its `times`. */
export class FaultQueue {
  private readonly queue: Array<Fault & { remaining: number }> = [];

  push(fault: Fault): void {
    this.queue.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** The first queued fault for this endpoint (and session, when the fault names one), used up by one request. */
  take(endpoint: string, sessionId: unknown): Fault | undefined {
    const index = this.queue.findIndex(
      (fault) =>
        ((fault.endpoint ?? 'invoke') === endpoint || fault.endpoint === '*') &&
        (fault.sessionId === undefined || fault.sessionId === sessionId),
    );
    if (index === -1) return undefined;
    const fault = this.queue[index] as Fault & { remaining: number };
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.queue.splice(index, 1);
    return fault;
  }
}

/** Reads a fault from the `x-mock-fault` header (JSON); throws a readable message when it is not one. */
export function parseFaultHeader(value: string): Fault {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('x-mock-fault must be a JSON object, e.g. {"status":503,"retryAfter":1}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('x-mock-fault must be a JSON object, e.g. {"status":503,"retryAfter":1}');
  }
  return checkFault(parsed as Fault);
}

// The longest wait a fault may ask for: a timer cannot wait longer, and a stall ends with the client anyway.
const MAX_WAIT_MS = 2 ** 31 - 1;
// Enough repetitions to flood any client, few enough that one request cannot freeze the mock.
const MAX_COUNT = 1_000_000;

function whole(fault: Fault, name: keyof Fault, min: number, max: number): void {
  const value = fault[name];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`fault \`${name}\` must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
}

/** Checks a fault's values, so that no fault can crash or freeze the mock; returns it. */
export function checkFault(fault: Fault): Fault {
  for (const name of ['delayMs', 'stallMs', 'lineDelayMs', 'keepAliveEveryMs'] as const)
    whole(fault, name, 0, MAX_WAIT_MS);
  for (const name of ['afterEvents', 'errorAfterEvents', 'resetAfterEvents', 'keepAlive'] as const)
    whole(fault, name, 0, MAX_COUNT);
  whole(fault, 'times', 1, MAX_COUNT);
  whole(fault, 'eventsPerLine', 1, MAX_COUNT);
  whole(fault, 'status', 100, 599);
  whole(fault, 'code', 0, 1000);
  if (fault.chunkSize !== undefined && fault.chunkSize !== 'ragged') whole(fault, 'chunkSize', 1, 64 * 1024 * 1024);
  if (fault.keepAliveEveryMs === 0) throw new Error('fault `keepAliveEveryMs` must be at least 1');
  if (fault.events !== undefined && !Array.isArray(fault.events)) throw new Error('fault `events` must be an array');
  if (fault.details !== undefined && !Array.isArray(fault.details)) throw new Error('fault `details` must be an array');
  return fault;
}
