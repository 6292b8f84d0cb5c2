// The Agent Graph API room of the mock server: a request to one of the five endpoints meets the fault in
// effect (the `x-mock-fault` header, else the queue), and is then authorised and answered by its endpoint.
// It also counts the turns of one customer that overlap.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PATH, ENDPOINTS, type Endpoint, RpcCode } from 'connectly-agent-graph/wire';
import { RpcFailure, delay } from '../plumbing/http.js';
import type { MockServerOptions, MockSession, StreamRecord } from '../server-types.js';
import { sendError, sendRaw } from './answers.js';
import { AgentEndpoints } from './endpoints.js';
import { type Fault, FaultQueue, checkFault, parseFaultHeader } from './faults.js';
import { field } from './proto-json.js';

const KNOWN_ENDPOINTS: ReadonlySet<string> = new Set(ENDPOINTS);

/** The endpoint a path names below the API path (`'invoke'`…), or `''` for a path outside it. */
export function endpointOf(pathname: string): string {
  return pathname.startsWith(`${API_PATH}/`) ? pathname.slice(API_PATH.length + 1) : '';
}

/** Whether `name` is one of the five endpoints. */
export function isEndpoint(name: string): name is Endpoint {
  return KNOWN_ENDPOINTS.has(name);
}

export class AgentGraphApi {
  private readonly faults = new FaultQueue();
  private readonly endpoints: AgentEndpoints;
  // Turns in flight per business and client key, from the request's arrival to its response's close.
  readonly #openTurns = new Map<string, number>();
  #overlaps = 0;

  constructor(
    private readonly options: MockServerOptions,
    sessions: Map<string, MockSession>,
  ) {
    this.endpoints = new AgentEndpoints(options, sessions);
  }

  /** Turns (invoke, invoke_sync) that started while another turn of the same customer was still open. */
  get overlaps(): number {
    return this.#overlaps;
  }

  clearOverlaps(): void {
    this.#overlaps = 0;
  }

  /** Queues a fault for the next matching request(s); throws when a value of it is out of range. */
  inject(fault: Fault): void {
    this.faults.push(checkFault(fault));
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Answers one request to `endpoint`; `body` is the parsed JSON, undefined when it was not JSON. What a
   * fault does, in this order: wait `delayMs`; stall before the headers; answer an error `status` (unless
   * the fault sends a raw body or an error line mid-stream); send a raw `body`. Otherwise the request is
   * authorised and answered normally, its events and stream shaped by the fault.
   */
  async handle(
    endpoint: Endpoint,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    record: StreamRecord,
  ): Promise<void> {
    if (endpoint === 'invoke' || endpoint === 'invoke_sync') this.countTurn(body, res);
    if (req.method !== 'POST') {
      throw new RpcFailure(405, RpcCode.UNIMPLEMENTED, `Method Not Allowed: use POST for ${API_PATH}/${endpoint}`);
    }
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
    this.endpoints.authorize(req);
    if (body === undefined) throw new RpcFailure(400, RpcCode.INVALID_ARGUMENT, 'invalid JSON in the request body');
    await this.endpoints.answer(endpoint, body as Record<string, unknown>, res, fault ?? {}, record);
  }

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
