// A real HTTP server that speaks the Connectly Agent Graph wire format, for tests and demos.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { demoReply, field } from './agent.js';
import { type Fault, type MockEndpoint, codeForStatus, parseFaultHeader, seededSizes } from './faults.js';

export const API_PATH = '/external/v1/ai/agent_graph';
const ENDPOINTS: ReadonlySet<string> = new Set(['init', 'invoke', 'invoke_sync', 'close', 'health']);
const INPUT_EVENT_KEYS = new Set([
  'messageEvent',
  'message_event',
  'buttonResponseEvent',
  'button_response_event',
  'listReplyEvent',
  'list_reply_event',
  'filledFormResponseEvent',
  'filled_form_response_event',
  'storeEvent',
  'store_event',
]);

export interface MockServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, only this x-api-key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  /** When set, only this businessId is accepted (others get 403 PERMISSION_DENIED). */
  businessId?: string;
  /** Pause between streamed lines, in ms, so streaming is visible. Default 0. */
  pacingMs?: number;
  /** Replace the demo agent: turns the input events of one turn into response events. */
  agent?: (inputEvents: unknown[], session: MockSession) => unknown[];
  /** Accept the `x-mock-fault` request header. Default true. */
  faultHeader?: boolean;
}

export interface MockSession {
  sessionId: string;
  businessId: string;
  clientKey: string;
  closed: boolean;
  turns: number;
}

export interface RecordedRequest {
  endpoint: string;
  method: string;
  path: string;
  /** Request headers; the x-api-key value is replaced by '[redacted]'. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  receivedAt: number;
}

export interface StreamRecord {
  endpoint: string;
  sessionId: string | undefined;
  /** True when the client went away before the response was complete. */
  abandoned: boolean;
  /** True when the server cut the connection on purpose (an injected reset). */
  reset: boolean;
  /** Events written before the response ended or was abandoned. */
  eventsWritten: number;
  /** When the request arrived and when its response closed (ms since the epoch). */
  startedAt: number;
  endedAt: number;
  /** For invoke and invoke_sync: another turn of the same customer was still open when this one started. */
  overlapped: boolean;
}

type Json = Record<string, unknown>;

class RpcFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The mock Connectly server. Events: `'request'` (RecordedRequest), `'stream-end'` (StreamRecord),
 * `'abandoned'` (StreamRecord, when a client left mid-response).
 */
export class MockConnectlyServer extends EventEmitter {
  readonly requests: RecordedRequest[] = [];
  readonly streams: StreamRecord[] = [];
  readonly sessions = new Map<string, MockSession>();
  /** Turns (invoke, invoke_sync) that started while another turn of the same customer was open. */
  overlaps = 0;
  // Open turns per business and client key.
  private readonly openTurns = new Map<string, number>();
  private readonly faults: Array<Fault & { remaining: number }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly options: MockServerOptions;
  private stopping = false;
  #url: string | undefined;

  constructor(options: MockServerOptions = {}) {
    super();
    this.options = options;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** The base URL, e.g. `http://127.0.0.1:39123`, once started. */
  get url(): string {
    if (this.#url === undefined) throw new Error('The mock server is not started: call start() first');
    return this.#url;
  }

  /** Streams the client abandoned (closed before the response was complete). */
  get abandoned(): number {
    return this.streams.filter((stream) => stream.abandoned).length;
  }

  /** Responses still being written. */
  get openResponses(): number {
    return this.open;
  }
  private open = 0;

  async start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `http://${shownHost}:${address.port}`;
    return this.#url;
  }

  /** Stops listening and cuts every open connection (stalled streams included). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues a fault for the next matching request(s). */
  inject(fault: Fault): this {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
    return this;
  }

  /** Forgets queued faults, recorded requests and streams (sessions are kept). */
  reset(): void {
    this.faults.length = 0;
    this.clearRecords();
  }

  /** Forgets recorded requests and streams only, keeping queued faults: for long runs that must not grow. */
  clearRecords(): void {
    this.requests.length = 0;
    this.streams.length = 0;
    this.overlaps = 0;
  }

  /** Forgets a session (all sessions when no id is given), as Connectly does when one expires: it then answers 404 NOT_FOUND. */
  forget(sessionId?: string): void {
    if (sessionId === undefined) this.sessions.clear();
    else this.sessions.delete(sessionId);
  }

  /** Resolves once `count` streams have been abandoned in total (bounded by `timeoutMs`). */
  waitForAbandoned(count = 1, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.abandoned >= count, 'abandoned', timeoutMs, `${count} abandoned stream(s)`);
  }

  /** Resolves once no response is being written (bounded by `timeoutMs`). */
  waitForIdle(timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.open === 0, 'stream-end', timeoutMs, 'all responses to end');
  }

  private waitFor(done: () => boolean, event: string, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.off(event, check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off(event, check);
        reject(new Error(`mock server: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.on(event, check);
    });
  }

  // ---- request handling ----

  private takeFault(endpoint: string, req: IncomingMessage, body: unknown): Fault | undefined {
    const header = req.headers['x-mock-fault'];
    if (typeof header === 'string' && this.options.faultHeader !== false) return parseFaultHeader(header);
    const sessionId = field(body, 'sessionId');
    const index = this.faults.findIndex(
      (fault) =>
        ((fault.endpoint ?? 'invoke') === endpoint || fault.endpoint === '*') &&
        (fault.sessionId === undefined || fault.sessionId === sessionId),
    );
    if (index === -1) return undefined;
    const fault = this.faults[index] as Fault & { remaining: number };
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.open += 1;
    const url = new URL(req.url ?? '/', 'http://mock');
    const endpoint = url.pathname.startsWith(`${API_PATH}/`) ? url.pathname.slice(API_PATH.length + 1) : '';
    const record: StreamRecord = {
      endpoint,
      sessionId: undefined,
      abandoned: false,
      reset: false,
      eventsWritten: 0,
      startedAt: Date.now(),
      endedAt: 0,
      overlapped: false,
    };
    res.on('close', () => {
      this.open -= 1;
      record.endedAt = Date.now();
      if (ENDPOINTS.has(endpoint)) {
        record.abandoned = !res.writableFinished && !record.reset;
        this.streams.push(record);
        if (record.abandoned) this.emit('abandoned', record);
      }
      this.emit('stream-end', record);
    });
    let fault: Fault | undefined;
    try {
      const raw = await readRequestBody(req);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw) : {};
      } catch {
        body = undefined;
      }
      const headers = { ...req.headers };
      if (headers['x-api-key'] !== undefined) headers['x-api-key'] = '[redacted]';
      const recorded: RecordedRequest = {
        endpoint,
        method: req.method ?? '',
        path: url.pathname,
        headers,
        body,
        receivedAt: Date.now(),
      };
      this.requests.push(recorded);
      this.emit('request', recorded);

      if (!ENDPOINTS.has(endpoint)) throw new RpcFailure(404, 5, `Not Found: ${url.pathname}`);
      if (req.method !== 'POST') throw new RpcFailure(405, 12, `Method Not Allowed: use POST for ${url.pathname}`);
      try {
        fault = this.takeFault(endpoint, req, body);
      } catch (error) {
        throw new RpcFailure(400, 3, (error as Error).message);
      }
      if (fault?.delayMs) await delay(fault.delayMs, res);
      if (fault?.stall === 'headers') {
        await delay(fault.stallMs ?? Infinity, res);
        if (res.destroyed) return;
      }
      const rawBody = fault?.body !== undefined || fault?.bodyBase64 !== undefined;
      if (fault?.status !== undefined && !rawBody && fault.errorAfterEvents === undefined) {
        this.sendFault(res, endpoint, fault);
        return;
      }
      if (fault && rawBody) {
        await this.sendRaw(res, fault, record);
        return;
      }
      this.authorize(req);
      if (body === undefined) throw new RpcFailure(400, 3, 'invalid JSON in the request body');
      await this.route(endpoint as MockEndpoint, body as Json, res, fault ?? {}, record);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const failure =
        error instanceof RpcFailure ? error : new RpcFailure(500, 13, `mock server error: ${(error as Error).message}`);
      sendJson(res, failure.status, { code: failure.code, message: failure.message, details: [] });
    }
  }

  private authorize(req: IncomingMessage): void {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || key.length === 0) {
      throw new RpcFailure(401, 16, 'missing API key: send it in the x-api-key header');
    }
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      throw new RpcFailure(401, 16, 'invalid API key');
    }
  }

  private requireString(body: Json, name: string): string {
    const value = field(body, name);
    if (typeof value !== 'string' || value.length === 0) {
      throw new RpcFailure(400, 3, `invalid ${name}: a non-empty string is required`);
    }
    return value;
  }

  private businessOf(body: Json): string {
    const businessId = this.requireString(body, 'businessId');
    if (this.options.businessId !== undefined && businessId !== this.options.businessId) {
      throw new RpcFailure(403, 7, `the API key is not allowed to use business ${businessId}`);
    }
    return businessId;
  }

  private sessionOf(body: Json): MockSession {
    const businessId = this.businessOf(body);
    const clientKey = this.requireString(body, 'clientKey');
    const sessionId = this.requireString(body, 'sessionId');
    const session = this.sessions.get(sessionId);
    if (!session || session.businessId !== businessId || session.clientKey !== clientKey) {
      throw new RpcFailure(404, 5, `session ${sessionId} not found for this business and client`);
    }
    if (session.closed) throw new RpcFailure(404, 5, `session ${sessionId} is closed`);
    return session;
  }

  private inputEventsOf(body: Json): unknown[] {
    const events = field(body, 'inputEvents');
    if (!Array.isArray(events) || events.length === 0) {
      throw new RpcFailure(400, 3, 'invalid inputEvents: at least one input event is required');
    }
    events.forEach((event, index) => {
      const keys = typeof event === 'object' && event !== null ? Object.keys(event) : [];
      if (keys.length !== 1 || !INPUT_EVENT_KEYS.has(keys[0] as string)) {
        throw new RpcFailure(400, 3, `invalid inputEvents[${index}]: exactly one known event key is required`);
      }
    });
    return events;
  }

  private async route(
    endpoint: MockEndpoint,
    body: Json,
    res: ServerResponse,
    fault: Fault,
    record: StreamRecord,
  ): Promise<void> {
    switch (endpoint) {
      case 'init': {
        const businessId = this.businessOf(body);
        const clientKey = this.requireString(body, 'clientKey');
        const sessionId = randomUUID();
        this.sessions.set(sessionId, { sessionId, businessId, clientKey, closed: false, turns: 0 });
        sendJson(res, 200, { response: { sessionId } });
        return;
      }
      case 'health': {
        this.businessOf(body);
        this.requireString(body, 'clientKey');
        sendJson(res, 200, { response: fault.unhealthy ? {} : { healthy: true } });
        return;
      }
      case 'close': {
        const session = this.sessionOf(body);
        session.closed = true;
        record.sessionId = session.sessionId;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"result":{"response":{}}}\n');
        return;
      }
      case 'invoke_sync': {
        const session = this.sessionOf(body);
        record.sessionId = session.sessionId;
        this.countTurn(session, record, res);
        const events = fault.events ?? this.reply(this.inputEventsOf(body), session);
        sendJson(res, 200, { response: { sessionId: session.sessionId, responseEvents: events } });
        return;
      }
      case 'invoke': {
        const session = this.sessionOf(body);
        record.sessionId = session.sessionId;
        this.countTurn(session, record, res);
        const events = fault.events ?? this.reply(this.inputEventsOf(body), session);
        await this.stream(res, session.sessionId, events, fault, record);
        return;
      }
    }
  }

  // Counts the customer's open turns until this response closes: a second one open at once is an overlap.
  private countTurn(session: MockSession, record: StreamRecord, res: ServerResponse): void {
    const key = `${session.businessId}\u0000${session.clientKey}`;
    const open = this.openTurns.get(key) ?? 0;
    if (open > 0) {
      record.overlapped = true;
      this.overlaps += 1;
    }
    this.openTurns.set(key, open + 1);
    res.once('close', () => {
      const left = (this.openTurns.get(key) ?? 1) - 1;
      if (left > 0) this.openTurns.set(key, left);
      else this.openTurns.delete(key);
    });
  }

  private reply(inputEvents: unknown[], session: MockSession): unknown[] {
    session.turns += 1;
    return this.options.agent ? this.options.agent(inputEvents, session) : demoReply(inputEvents);
  }

  private sendFault(res: ServerResponse, endpoint: string, fault: Fault): void {
    const status = fault.status ?? 500;
    const rpc = {
      code: fault.code ?? codeForStatus(status),
      message: fault.message ?? `injected HTTP ${status}`,
      details: fault.details ?? [],
    };
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
    const shape = fault.errorBody ?? (endpoint === 'invoke' || endpoint === 'close' ? 'wrapped' : 'status');
    if (shape === 'html') {
      headers['content-type'] = 'text/html';
      res.writeHead(status, headers);
      res.end(
        `<html><head><title>${status} Error</title></head><body><h1>${status}</h1><p>upstream proxy error</p></body></html>`,
      );
      return;
    }
    if (shape === 'empty') {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    headers['content-type'] = 'application/json';
    res.writeHead(status, headers);
    res.end(JSON.stringify(shape === 'wrapped' ? { error: rpc } : rpc) + (shape === 'wrapped' ? '\n' : ''));
  }

  private async sendRaw(res: ServerResponse, fault: Fault, record: StreamRecord): Promise<void> {
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
    const lines = fault.lineDelayMs ? splitKeepingNewlines(bytes) : [bytes];
    for (const [index, piece] of lines.entries()) {
      if (index > 0 && fault.lineDelayMs) await delay(fault.lineDelayMs, res);
      if (!(await writer.write(piece))) return;
    }
    if (fault.resetAfterEvents !== undefined) {
      await resetConnection(res, record);
      return;
    }
    res.end();
  }

  // Waits between lines; with `keepAliveEveryMs`, sends blank keep-alive lines meanwhile, as a busy agent does.
  private async pause(
    ms: number,
    res: ServerResponse,
    writer: ChunkWriter,
    ending: string,
    every?: number,
  ): Promise<boolean> {
    if (!every) return delay(ms, res);
    for (let waited = 0; waited < ms; waited += every) {
      if (!(await delay(Math.min(every, ms - waited), res))) return false;
      if (waited + every < ms && !(await writer.write(ending))) return false;
    }
    return true;
  }

  private async stream(
    res: ServerResponse,
    sessionId: string,
    events: unknown[],
    fault: Fault,
    record: StreamRecord,
  ): Promise<void> {
    const ending = fault.lineEnding ?? '\n';
    const perLine = Math.max(1, fault.eventsPerLine ?? 1);
    const pacing = fault.lineDelayMs ?? this.options.pacingMs ?? 0;
    const envelope = fault.envelope ?? 'result';
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const writer = new ChunkWriter(res, fault.chunkSize);
    const line = (group: unknown[]): string => {
      const response = { sessionId, responseEvents: group };
      if (envelope === 'bare') return group.map((event) => JSON.stringify(event)).join(ending);
      return JSON.stringify(envelope === 'response' ? { response } : { result: { response } });
    };
    // A real agent thinks before its first line: say so with a keep-alive.
    if (!(await writer.write(ending))) return;
    let sent = 0;
    for (let start = 0; start < events.length; start += perLine) {
      if (pacing > 0 && start > 0 && !(await this.pause(pacing, res, writer, ending, fault.keepAliveEveryMs))) return;
      if (fault.stall === 'body' && sent >= (fault.afterEvents ?? 1)) {
        await delay(fault.stallMs ?? Infinity, res);
        if (res.destroyed) return;
        fault = { ...fault, stall: undefined };
      }
      if (fault.errorAfterEvents !== undefined && sent >= fault.errorAfterEvents) break;
      const text = line(events.slice(start, start + perLine));
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
          code: fault.code ?? 13,
          message: fault.message ?? 'injected error mid-stream',
          details: fault.details ?? [],
        },
      };
      await writer.write(JSON.stringify(error) + (fault.errorFinalNewline === false ? '' : ending));
    }
    if (!res.destroyed) res.end();
  }
}

/** Writes a body in pieces of a fixed or ragged size, respecting backpressure; false once the client has gone. */
class ChunkWriter {
  private readonly nextSize: (() => number) | undefined;

  constructor(
    private readonly res: ServerResponse,
    chunkSize: Fault['chunkSize'],
  ) {
    if (chunkSize === 'ragged') this.nextSize = seededSizes(7, 1, 17);
    else if (typeof chunkSize === 'number' && chunkSize > 0) this.nextSize = () => chunkSize;
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
 * so the client sees exactly the bytes written and then the reset.
 */
async function resetConnection(res: ServerResponse, record: StreamRecord): Promise<void> {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  record.reset = true;
  // 'drain' only fires after a refused write, so poll until the socket's buffer is empty (bounded).
  for (let waited = 0; socket.writableLength > 0 && waited < 1000; waited += 5) await delay(5, res);
  await delay(30, res);
  if (!socket.destroyed) socket.resetAndDestroy();
}

/** Waits `ms` (Infinity: until the client leaves); resolves false if the client left first. */
function delay(ms: number, res: ServerResponse): Promise<boolean> {
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

function splitKeepingNewlines(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let index = bytes.indexOf(10); index !== -1; index = bytes.indexOf(10, start)) {
    pieces.push(bytes.subarray(start, index + 1));
    start = index + 1;
  }
  if (start < bytes.length) pieces.push(bytes.subarray(start));
  return pieces;
}

function readRequestBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 8 * 1024 * 1024) {
        reject(new RpcFailure(413, 8, 'request body larger than 8 MiB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts a mock server; `await start({ port: 0 })` resolves once it listens (read `.url`). */
export async function start(options: MockServerOptions = {}): Promise<MockConnectlyServer> {
  const server = new MockConnectlyServer(options);
  await server.start();
  return server;
}
