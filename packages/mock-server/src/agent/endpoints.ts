// The five endpoints as the mock answers them when no fault intervenes: authentication, the checks a
// real server makes on a request, the sessions, and the demo agent's replies.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Endpoint, INPUT_EVENT_TYPES, RpcCode } from 'connectly-agent-graph/wire';
import { RpcFailure, sendJson } from '../plumbing/http.js';
import type { MockServerOptions, MockSession } from '../server-types.js';
import { type ResponseRecord, streamEvents } from './answers.js';
import { demoReply } from './demo-agent.js';
import type { Fault } from './faults.js';
import { field, snakeCase } from './proto-json.js';

type Json = Record<string, unknown>;

// protobuf JSON parsers accept each field's original snake_case name as well.
const INPUT_EVENT_KEYS: ReadonlySet<string> = new Set(INPUT_EVENT_TYPES.flatMap((key) => [key, snakeCase(key)]));

export class AgentEndpoints {
  constructor(
    private readonly options: MockServerOptions,
    private readonly sessions: Map<string, MockSession>,
  ) {}

  authorize(req: IncomingMessage): void {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || key.length === 0) {
      throw new RpcFailure(401, RpcCode.UNAUTHENTICATED, 'missing API key: send it in the x-api-key header');
    }
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      throw new RpcFailure(401, RpcCode.UNAUTHENTICATED, 'invalid API key');
    }
  }

  /** Answers one authorised request; `fault` may replace the events or mark health unhealthy. */
  async answer(
    endpoint: Endpoint,
    body: Json,
    res: ServerResponse,
    fault: Fault,
    record: ResponseRecord,
  ): Promise<void> {
    switch (endpoint) {
      case 'init': {
        const businessId = this.businessOf(body);
        const clientKey = requireString(body, 'clientKey');
        const sessionId = randomUUID();
        this.sessions.set(sessionId, { sessionId, businessId, clientKey, closed: false, turns: 0 });
        sendJson(res, 200, { response: { sessionId } });
        return;
      }
      case 'health': {
        this.businessOf(body);
        requireString(body, 'clientKey');
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
        const events = fault.events ?? this.reply(inputEventsOf(body), session);
        sendJson(res, 200, { response: { sessionId: session.sessionId, responseEvents: events } });
        return;
      }
      case 'invoke': {
        const session = this.sessionOf(body);
        record.sessionId = session.sessionId;
        const events = fault.events ?? this.reply(inputEventsOf(body), session);
        await streamEvents(res, session.sessionId, events, fault, record, this.options.pacingMs ?? 0);
        return;
      }
    }
  }

  private businessOf(body: Json): string {
    const businessId = requireString(body, 'businessId');
    if (this.options.businessId !== undefined && businessId !== this.options.businessId) {
      throw new RpcFailure(403, RpcCode.PERMISSION_DENIED, `the API key is not allowed to use business ${businessId}`);
    }
    return businessId;
  }

  private sessionOf(body: Json): MockSession {
    const businessId = this.businessOf(body);
    const clientKey = requireString(body, 'clientKey');
    const sessionId = requireString(body, 'sessionId');
    const session = this.sessions.get(sessionId);
    if (!session || session.businessId !== businessId || session.clientKey !== clientKey) {
      throw new RpcFailure(404, RpcCode.NOT_FOUND, `session ${sessionId} not found for this business and client`);
    }
    if (session.closed) throw new RpcFailure(404, RpcCode.NOT_FOUND, `session ${sessionId} is closed`);
    return session;
  }

  private reply(inputEvents: unknown[], session: MockSession): unknown[] {
    session.turns += 1;
    return this.options.agent ? this.options.agent(inputEvents, session) : demoReply(inputEvents);
  }
}

function requireString(body: Json, name: string): string {
  const value = field(body, name);
  if (typeof value !== 'string' || value.length === 0) {
    throw new RpcFailure(400, RpcCode.INVALID_ARGUMENT, `invalid ${name}: a non-empty string is required`);
  }
  return value;
}

function inputEventsOf(body: Json): unknown[] {
  const events = field(body, 'inputEvents');
  if (!Array.isArray(events) || events.length === 0) {
    throw new RpcFailure(400, RpcCode.INVALID_ARGUMENT, 'invalid inputEvents: at least one input event is required');
  }
  events.forEach((event, index) => {
    const keys = typeof event === 'object' && event !== null ? Object.keys(event) : [];
    if (keys.length !== 1 || !INPUT_EVENT_KEYS.has(keys[0] as string)) {
      throw new RpcFailure(
        400,
        RpcCode.INVALID_ARGUMENT,
        `invalid inputEvents[${index}]: exactly one known event key is required`,
      );
    }
  });
  return events;
}
