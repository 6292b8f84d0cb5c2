// A real HTTP server that speaks the Connectly Agent Graph wire format, for tests and demos: its
// lifecycle, what it records, what a test can wait for, and the order in which a fault takes effect.

import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type InspectOptions, inspect } from 'node:util';
import { API_PATH, ENDPOINTS, type Endpoint, RpcCode } from 'connectly-agent-graph/wire';
import { field } from './agent.js';
import { type Fault, FaultQueue, checkFault, parseFaultHeader } from './faults.js';
import { RpcFailure, delay, readRequestBody, sendJson } from './http.js';
import { sendError, sendRaw } from './render.js';
import { keepNewest } from './records.js';
import { MockApi } from './routes.js';
import type { MockCustomer } from './messaging/customer.js';
import { MockMessaging, type MockMessagingOptions } from './messaging/messaging.js';

export { API_PATH };
const KNOWN_ENDPOINTS: ReadonlySet<string> = new Set(ENDPOINTS);

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
  /**
   * Keep only this many of the newest records in `requests` and `streams`, and in the messaging side's
   * `sent` and `deliveries` (unless `messaging.maxRecords` says otherwise). Default: all.
   */
  maxRecords?: number;
  /** The messaging side: webhook secret, redelivery time scale, rate limit, clock, templates. */
  messaging?: MockMessagingOptions;
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
}

/**
 * The mock Connectly server. Events: `'request'` (RecordedRequest), `'stream-end'` (StreamRecord),
 * `'abandoned'` (StreamRecord, when a client left mid-response).
 */
export class MockConnectlyServer extends EventEmitter {
  readonly requests: RecordedRequest[] = [];
  readonly streams: StreamRecord[] = [];
  readonly sessions = new Map<string, MockSession>();
  /** The Message and Webhook APIs: registrations, deliveries, what the business sent. */
  readonly messaging: MockMessaging;
  private readonly faults = new FaultQueue();
  private readonly api: MockApi;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly options: MockServerOptions;
  private stopping = false;
  #url: string | undefined;

  constructor(options: MockServerOptions = {}) {
    super();
    this.options = options;
    this.api = new MockApi(options, this.sessions);
    this.messaging = new MockMessaging(
      { maxRecords: options.maxRecords, ...options.messaging },
      options.apiKey,
      options.businessId,
    );
    // handle() answers every failure itself; this catch is for one that happens while it answers.
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    // An idle keep-alive connection is the client's to close. Node's default (5 s, announced as
    // `Keep-Alive: timeout=5`) races a busy client: it takes the pooled connection just as the server
    // drops it, and its request (an invoke, never re-sent) fails with a reset before any answer.
    // With no idle timer the client's own pool, which knows when it reuses a connection, closes it.
    this.server.keepAliveTimeout = 0;
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

  /** Turns (invoke, invoke_sync) that started while another turn of the same customer was still open. */
  get overlaps(): number {
    return this.#overlaps;
  }
  #overlaps = 0;
  // Turns in flight per business and client key, from the request's arrival to its response's close.
  readonly #openTurns = new Map<string, number>();

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
    this.messaging.stop();
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A scripted WhatsApp customer: `mock.customer('+15551234567').says('Hi')` delivers a signed webhook. */
  customer(phone: string, options?: { businessId?: string; name?: string; userId?: string }): MockCustomer {
    return this.messaging.customer(phone, options);
  }

  /** Queues a fault for the next matching request(s); throws when a value of it is out of range. */
  inject(fault: Fault): this {
    this.faults.push(checkFault(fault));
    return this;
  }

  toJSON(): Record<string, unknown> {
    return {
      url: this.#url,
      apiKey: this.options.apiKey === undefined ? undefined : '[redacted]',
      businessId: this.options.businessId,
      sessions: this.sessions.size,
      requests: this.requests.length,
      openResponses: this.open,
    };
  }

  // The configured key never shows, whatever prints the server.
  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `MockConnectlyServer ${inspect(this.toJSON(), options)}`;
  }

  /** Forgets queued faults, recorded requests and streams (sessions are kept). */
  reset(): void {
    this.faults.clear();
    this.clearRecords();
  }

  /** Forgets recorded requests and streams only, keeping queued faults: for long runs that must not grow. */
  clearRecords(): void {
    this.requests.length = 0;
    this.streams.length = 0;
    this.#overlaps = 0;
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.open += 1;
    // A request line can hold anything, an absolute URL with a port out of range included.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://mock');
    } catch {
      url = new URL('http://mock/');
    }
    const endpoint = url.pathname.startsWith(`${API_PATH}/`) ? url.pathname.slice(API_PATH.length + 1) : '';
    const record: StreamRecord = { endpoint, sessionId: undefined, abandoned: false, reset: false, eventsWritten: 0 };
    res.on('close', () => {
      this.open -= 1;
      if (KNOWN_ENDPOINTS.has(endpoint)) {
        record.abandoned = !res.writableFinished && !record.reset;
        this.streams.push(record);
        keepNewest(this.streams, this.options.maxRecords);
        if (record.abandoned) this.emit('abandoned', record);
      }
      this.emit('stream-end', record);
    });
    try {
      const raw = await readRequestBody(req);
      const body = this.record(req, url, endpoint, raw);
      if (this.messaging.owns(url.pathname)) {
        const answer = await this.messaging.handle(req.method ?? 'GET', url.pathname, req.headers, raw);
        res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
        return;
      }
      if (endpoint === 'invoke' || endpoint === 'invoke_sync') this.countTurn(body, res);
      if (!KNOWN_ENDPOINTS.has(endpoint)) throw new RpcFailure(404, RpcCode.NOT_FOUND, `Not Found: ${url.pathname}`);
      if (req.method !== 'POST') {
        throw new RpcFailure(405, RpcCode.UNIMPLEMENTED, `Method Not Allowed: use POST for ${url.pathname}`);
      }
      await this.respond(endpoint as Endpoint, req, res, body, record);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const failure =
        error instanceof RpcFailure
          ? error
          : new RpcFailure(500, RpcCode.INTERNAL, `mock server error: ${(error as Error).message}`);
      sendJson(res, failure.status, { code: failure.code, message: failure.message, details: [] });
    }
  }

  /** Records the request (its key redacted) and returns its parsed body, undefined when it is not JSON. */
  // A turn of a customer that arrives while another of theirs is still in flight is an overlap.
  private countTurn(body: unknown, res: ServerResponse): void {
    const key = JSON.stringify([field(body, 'businessId'), field(body, 'clientKey')]);
    const open = this.#openTurns.get(key) ?? 0;
    if (open > 0) this.#overlaps += 1;
    this.#openTurns.set(key, open + 1);
    res.once('close', () => {
      const left = (this.#openTurns.get(key) ?? 1) - 1;
      if (left > 0) this.#openTurns.set(key, left);
      else this.#openTurns.delete(key);
    });
  }

  private record(req: IncomingMessage, url: URL, endpoint: string, raw: string): unknown {
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
    keepNewest(this.requests, this.options.maxRecords);
    this.emit('request', recorded);
    return body;
  }

  /**
   * What a fault does, in this order: wait `delayMs`; stall before the headers; answer an error
   * `status` (unless the fault sends a raw body or an error line mid-stream); send a raw `body`.
   * Otherwise the request is authorised and answered normally, its events and stream shaped by the fault.
   */
  private async respond(
    endpoint: Endpoint,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    record: StreamRecord,
  ): Promise<void> {
    const fault = this.faultFor(endpoint, req, body);
    if (fault?.delayMs && !(await delay(fault.delayMs, res))) return;
    if (fault?.stall === 'headers' && !(await delay(fault.stallMs ?? Infinity, res))) return;
    const rawBody = fault?.body !== undefined || fault?.bodyBase64 !== undefined;
    if (fault?.status !== undefined && !rawBody && fault.errorAfterEvents === undefined) {
      sendError(res, endpoint, fault);
      return;
    }
    if (fault && rawBody) {
      await sendRaw(res, fault, record);
      return;
    }
    this.api.authorize(req);
    if (body === undefined) throw new RpcFailure(400, RpcCode.INVALID_ARGUMENT, 'invalid JSON in the request body');
    await this.api.answer(endpoint, body as Record<string, unknown>, res, fault ?? {}, record);
  }

  // The `x-mock-fault` header wins over the queue; a header that is not a fault is a 400.
  private faultFor(endpoint: Endpoint, req: IncomingMessage, body: unknown): Fault | undefined {
    const header = req.headers['x-mock-fault'];
    if (typeof header === 'string' && this.options.faultHeader !== false) {
      try {
        return parseFaultHeader(header);
      } catch (error) {
        throw new RpcFailure(400, RpcCode.INVALID_ARGUMENT, (error as Error).message);
      }
    }
    return this.faults.take(endpoint, field(body, 'sessionId'));
  }
}

/** Starts a mock server; `await start({ port: 0 })` resolves once it listens (read `.url`). */
export async function start(options: MockServerOptions = {}): Promise<MockConnectlyServer> {
  const server = new MockConnectlyServer(options);
  await server.start();
  return server;
}
