// The fault matrix: every fault a user can meet, and the outcome a user should see, shared by the three
// surfaces (the core's invoke(), the n8n node's Send Message, ConnectlyService.invoke() behind SSE).
// Each surface runs every row against the mock server over real HTTP.
import { createServer } from 'node:net';
import type { Fault } from 'connectly-agent-graph-mock';

export const TWO_EVENTS = [
  { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'first' } } } },
  { messageEvent: { role: 'ASSISTANT', content: { textContent: { text: 'second' } } } },
];

const line = (event: unknown) =>
  JSON.stringify({ result: { response: { sessionId: 'fault-session', responseEvents: [event] } } });

/** Where the client is pointed, when not at the mock server. */
export type Target = 'mock' | 'closed-port' | 'unresolvable' | 'https-to-http';

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The base URL a row points the client at. */
export async function baseUrlFor(target: Target, mockUrl: string): Promise<string> {
  switch (target) {
    case 'mock':
      return mockUrl;
    case 'closed-port':
      return `http://127.0.0.1:${await closedPort()}`;
    case 'unresolvable':
      return 'http://connectly-mock.invalid';
    case 'https-to-http':
      return mockUrl.replace('http://', 'https://');
  }
}

export interface FaultRow {
  name: string;
  fault?: Fault;
  target?: Target;
  /** Client options the row needs (short timeouts, a small line limit, retries). */
  client?: { timeoutMs?: number; idleTimeoutMs?: number; maxRetries?: number; maxLineLength?: number };
  /** Events delivered before the outcome. */
  delivered: number;
  /**
   * The error a user sees; absent when the call succeeds. `browser`: what an SSE client is told
   * instead of `message`, where that differs (a connection error names no host there).
   */
  error?: { name: string; message: RegExp; browser?: RegExp; status?: number; code?: number };
  /** How many invoke requests reach the mock (retries included); unchecked when absent. */
  invokes?: number;
}

const UNREACHABLE = /^The agent could not be reached$/;
const BROKEN = /^The connection to the agent broke before the reply was complete$/;

const apiError = (status: number, code: number) => ({
  name: 'ConnectlyApiError',
  status,
  code,
  message: new RegExp(`HTTP ${status}`),
});

export const FAULT_MATRIX: FaultRow[] = [
  { name: 'no fault', fault: { events: TWO_EVENTS }, delivered: 2, invokes: 1 },
  {
    name: 'connection refused',
    target: 'closed-port',
    client: { maxRetries: 1 },
    delivered: 0,
    error: { name: 'ConnectlyConnectionError', message: /ECONNREFUSED.*check the baseUrl/, browser: UNREACHABLE },
  },
  {
    name: 'DNS failure of the base URL',
    target: 'unresolvable',
    client: { maxRetries: 0 },
    delivered: 0,
    error: { name: 'ConnectlyConnectionError', message: /ENOTFOUND.*check the baseUrl/, browser: UNREACHABLE },
  },
  {
    name: 'an https base URL on a plain-http server',
    target: 'https-to-http',
    delivered: 0,
    error: {
      name: 'ConnectlyConnectionError',
      message: /Could not reach Connectly.*(ERR_SSL|EPROTO)/,
      browser: UNREACHABLE,
    },
  },
  ...[400, 401, 403, 404, 500, 504].flatMap((status): FaultRow[] => {
    const code = { 400: 3, 401: 16, 403: 7, 404: 5, 500: 13, 504: 4 }[status] as number;
    return [
      {
        name: `HTTP ${status}, bare status body`,
        fault: { status, errorBody: 'status' },
        delivered: 0,
        error: apiError(status, code),
        invokes: 1,
      },
      {
        name: `HTTP ${status}, {"error":…} body`,
        fault: { status, errorBody: 'wrapped' },
        delivered: 0,
        error: apiError(status, code),
        invokes: 1,
      },
      {
        name: `HTTP ${status}, HTML page from a proxy`,
        fault: { status, errorBody: 'html' },
        delivered: 0,
        error: { ...apiError(status, code), message: /not a Connectly error: "<html>/ },
        invokes: 1,
      },
    ];
  }),
  {
    name: 'HTTP 429 with Retry-After, then success',
    fault: { status: 429, retryAfter: 0 },
    client: { maxRetries: 1 },
    delivered: 2,
    invokes: 2,
  },
  {
    name: 'HTTP 429 without Retry-After, retries exhausted',
    fault: { status: 429, times: 2 },
    client: { maxRetries: 1 },
    delivered: 0,
    error: apiError(429, 8),
    invokes: 2,
  },
  {
    name: 'HTTP 503 with Retry-After, retries exhausted',
    fault: { status: 503, retryAfter: 0, times: 2 },
    client: { maxRetries: 1 },
    delivered: 0,
    error: apiError(503, 14),
    invokes: 2,
  },
  {
    name: 'HTTP 503 without Retry-After, then success',
    fault: { status: 503 },
    client: { maxRetries: 1 },
    delivered: 2,
    invokes: 2,
  },
  {
    name: 'an error line mid-stream',
    fault: { events: TWO_EVENTS, errorAfterEvents: 1, code: 13, message: 'agent failed' },
    delivered: 1,
    error: { name: 'ConnectlyApiError', status: 200, code: 13, message: /in the response stream.*agent failed/ },
  },
  {
    name: 'an error line mid-stream without a final newline',
    fault: { events: TWO_EVENTS, errorAfterEvents: 1, errorFinalNewline: false, code: 14 },
    delivered: 1,
    error: { name: 'ConnectlyApiError', status: 200, code: 14, message: /in the response stream/ },
  },
  {
    name: 'a connection reset between lines',
    fault: { events: TWO_EVENTS, resetAfterEvents: 1 },
    delivered: 1,
    error: { name: 'ConnectlyConnectionError', message: /broke during invoke/, browser: BROKEN },
    invokes: 1,
  },
  {
    name: 'a connection reset mid-line',
    fault: { events: TWO_EVENTS, resetAfterEvents: 1, resetMidLine: true },
    delivered: 1,
    error: { name: 'ConnectlyConnectionError', message: /broke during invoke/, browser: BROKEN },
    invokes: 1,
  },
  {
    name: 'a stall before the headers',
    fault: { stall: 'headers' },
    client: { timeoutMs: 1000 },
    delivered: 0,
    error: { name: 'ConnectlyTimeoutError', message: /no response within 1000 ms/ },
  },
  {
    name: 'a stall mid-stream',
    fault: { events: TWO_EVENTS, stall: 'body', afterEvents: 1 },
    client: { idleTimeoutMs: 1000 },
    delivered: 1,
    error: { name: 'ConnectlyTimeoutError', message: /sent nothing for 1000 ms/ },
  },
  {
    name: 'keep-alive lines keeping a slow stream alive',
    fault: { events: TWO_EVENTS, lineDelayMs: 1600, keepAliveEveryMs: 200 },
    client: { idleTimeoutMs: 1000 },
    delivered: 2,
  },
  {
    name: 'a malformed line',
    fault: { body: `${line(TWO_EVENTS[0])}\n{"result": oops}\n` },
    delivered: 1,
    error: { name: 'ConnectlyProtocolError', message: /line 2 is not valid JSON/ },
  },
  {
    name: 'a line over the maximum length',
    fault: {
      body: `${line(TWO_EVENTS[0])}\n${line({ messageEvent: { content: { textContent: { text: 'x'.repeat(3000) } } } })}\n`,
    },
    client: { maxLineLength: 1000 },
    delivered: 1,
    error: { name: 'ConnectlyProtocolError', message: /line 2 is longer than maxLineLength/ },
  },
  {
    name: 'invalid UTF-8',
    fault: {
      bodyBase64: Buffer.concat([
        Buffer.from(`${line(TWO_EVENTS[0])}\n{"x":"`),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n'),
      ]).toString('base64'),
    },
    delivered: 1,
    error: { name: 'ConnectlyProtocolError', message: /line 2 is not valid UTF-8/ },
  },
  {
    name: 'a UTF-8 BOM at the start',
    fault: {
      bodyBase64: Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(`${line(TWO_EVENTS[0])}\n${line(TWO_EVENTS[1])}\n`),
      ]).toString('base64'),
    },
    delivered: 2,
  },
];

/** Bad input from the user: each is refused before anything is sent. */
export interface InputRow {
  name: string;
  request: Record<string, unknown>;
  message: RegExp;
}

export const BAD_INPUT: InputRow[] = [
  { name: 'a missing clientKey', request: { sessionId: 's', text: 'hi' }, message: /`clientKey` is required/ },
  {
    name: 'an empty sessionId',
    request: { clientKey: 'c', sessionId: ' ', text: 'hi' },
    message: /`sessionId` must not be empty/,
  },
  {
    name: 'empty inputEvents',
    request: { clientKey: 'c', sessionId: 's', inputEvents: [] },
    message: /`inputEvents` must hold at least one event/,
  },
  {
    name: 'an element with no event key',
    request: { clientKey: 'c', sessionId: 's', inputEvents: [{}] },
    message: /inputEvents\[0\]` is empty/,
  },
  {
    name: 'an element with two event keys',
    request: {
      clientKey: 'c',
      sessionId: 's',
      inputEvents: [{ storeEvent: { storeId: '1' }, listReplyEvent: { id: 'x' } }],
    },
    message: /holds 2 event keys/,
  },
  {
    name: 'a non-string ID',
    request: { clientKey: 42, sessionId: 's', text: 'hi' },
    message: /`clientKey` must be a string, got a number/,
  },
];
