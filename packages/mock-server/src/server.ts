// A real HTTP server that speaks the Connectly Agent Graph wire format and the Message API, for tests
// and demos: its lifecycle, what it records, what a test can wait for, and which room answers a request
// (the Agent Graph API in agent/, the Message and Webhook APIs in messaging/).

import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type InspectOptions, inspect } from 'node:util';
import { RpcCode } from 'connectly-agent-graph/wire';
import { AgentGraphApi, endpointOf, isEndpoint } from './agent/agent-graph-api.js';
import type { Fault } from './agent/faults.js';
import type { MockCustomer } from './messaging/customer.js';
import { MockMessaging } from './messaging/messaging.js';
import { RpcFailure, readRequestBody, sendJson } from './plumbing/http.js';
import { keepNewest, waitUntil } from './plumbing/records.js';
import type { MockServerOptions, MockSession, RecordedRequest, StreamRecord } from './server-types.js';

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
  private readonly agentGraph: AgentGraphApi;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly options: MockServerOptions;
  #url: string | undefined;

  constructor(options: MockServerOptions = {}) {
    super();
    this.options = options;
    this.agentGraph = new AgentGraphApi(options, this.sessions);
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
    return this.agentGraph.overlaps;
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
    this.agentGraph.inject(fault);
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
    this.agentGraph.clearFaults();
    this.clearRecords();
  }

  /** Forgets recorded requests and streams only, keeping queued faults: for long runs that must not grow. */
  clearRecords(): void {
    this.requests.length = 0;
    this.streams.length = 0;
    this.agentGraph.clearOverlaps();
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
    return waitUntil(
      this,
      event,
      done,
      timeoutMs,
      () => new Error(`mock server: timed out after ${timeoutMs} ms waiting for ${what}`),
    );
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
    const endpoint = endpointOf(url.pathname);
    const record: StreamRecord = { endpoint, sessionId: undefined, abandoned: false, reset: false, eventsWritten: 0 };
    res.on('close', () => {
      this.open -= 1;
      if (isEndpoint(endpoint)) {
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
      if (!isEndpoint(endpoint)) throw new RpcFailure(404, RpcCode.NOT_FOUND, `Not Found: ${url.pathname}`);
      await this.agentGraph.handle(endpoint, req, res, body, record);
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
}

/** Starts a mock server; `await start({ port: 0 })` resolves once it listens (read `.url`). */
export async function start(options: MockServerOptions = {}): Promise<MockConnectlyServer> {
  const server = new MockConnectlyServer(options);
  await server.start();
  return server;
}
