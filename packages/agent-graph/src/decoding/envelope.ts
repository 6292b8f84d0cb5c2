// Envelopes: what a stream line or a response body wraps around the agent's events or an error.
//
// Accepted stream lines: `{"result":{"response":{…}}}` (the wire format), a bare `{"response":{…}}`,
// a bare response object `{"sessionId":…,"responseEvents":[…]}`, or a bare response event
// `{"messageEvent":{…}}`; and `{"error":{code,message,details}}`, which ends the stream.

import { type AgentEvent, toAgentEvents } from '../wire/events.js';
import { ConnectlyApiError, ConnectlyProtocolError } from '../errors/errors.js';
import { type Sanitize, jsonFailure, notAnErrorBody, printable, safeExcerpt } from '../errors/redaction.js';
import { LineDecoder, type LineDecoderOptions, firstLine, isKeepAlive } from './line-decoder.js';
import type { Endpoint, InvokeResponse, ResponseEvent, RpcStatus } from '../wire/api.js';

export type Envelope =
  | { kind: 'response'; response: InvokeResponse }
  | { kind: 'error'; error: RpcStatus }
  | { kind: 'unexpected'; why: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the envelope of one parsed stream line (or of a whole unary body). */
export function readEnvelope(value: unknown): Envelope {
  if (!isObject(value)) return { kind: 'unexpected', why: 'a line must be a JSON object' };
  const error = value['error'];
  if (error !== undefined && error !== null) return { kind: 'error', error: toRpcStatus(error) };
  let response: unknown;
  if ('result' in value) {
    const result = value['result'];
    if (!isObject(result)) return { kind: 'unexpected', why: '"result" must be an object' };
    response = 'response' in result ? result['response'] : result;
  } else if ('response' in value) {
    response = value['response'];
  } else if ('responseEvents' in value || 'sessionId' in value) {
    response = value;
  } else {
    const rest = { ...value };
    delete rest['error'];
    return { kind: 'response', response: { responseEvents: Object.keys(rest).length ? [rest as ResponseEvent] : [] } };
  }
  if (response === undefined || response === null) return { kind: 'response', response: {} };
  if (!isObject(response)) return { kind: 'unexpected', why: '"response" must be an object' };
  const events = response['responseEvents'];
  if (events !== undefined && events !== null && !Array.isArray(events)) {
    return { kind: 'unexpected', why: '"responseEvents" must be an array' };
  }
  return { kind: 'response', response: response as InvokeResponse };
}

/** Normalises anything found under `error` (or a bare status body) into an RpcStatus. */
export function toRpcStatus(value: unknown): RpcStatus {
  if (typeof value === 'string') return { message: value };
  if (!isObject(value)) return { message: String(value) };
  const status: RpcStatus = {};
  const code = value['code'];
  if (typeof code === 'number' && Number.isInteger(code)) status.code = code;
  else if (typeof code === 'string' && /^\d+$/.test(code)) status.code = Number(code);
  const message = value['message'];
  if (typeof message === 'string') status.message = message;
  const details = value['details'];
  if (Array.isArray(details)) status.details = details as NonNullable<RpcStatus['details']>;
  return status;
}

/** A unary answer: the JSON it held and the response inside its envelope. */
export interface UnaryAnswer {
  value: unknown;
  response: InvokeResponse & Record<string, unknown>;
}

/**
 * Reads a 2xx unary body (with `oneLine`, close's one NDJSON line): the response it holds, or the
 * ConnectlyApiError / ConnectlyProtocolError it amounts to.
 */
export function parseUnary(
  text: string,
  endpoint: Endpoint,
  status: number,
  oneLine: boolean,
  sanitize: Sanitize,
): UnaryAnswer {
  const json = oneLine ? firstLine(text).trim() : text.trim();
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw ConnectlyProtocolError.malformedBody(endpoint, json, sanitize);
  }
  const envelope = readEnvelope(value);
  if (envelope.kind === 'error') throw ConnectlyApiError.from(endpoint, status, envelope.error, sanitize);
  if (nestedTooDeeply(json)) throw tooDeep(`The ${endpoint} response`, json, sanitize);
  if (envelope.kind === 'unexpected')
    throw ConnectlyProtocolError.unexpectedShape(endpoint, envelope.why, value, sanitize);
  return { value, response: envelope.response as InvokeResponse & Record<string, unknown> };
}

/**
 * Reads the body of a non-2xx response: a bare status `{code,message,details}`, an `{"error":{…}}`
 * wrapper (also as an NDJSON line), or anything else, which becomes a short safe excerpt.
 */
export function readErrorBody(text: string, status: number, sanitize: Sanitize = (t) => t): RpcStatus {
  const trimmed = text.trim();
  for (const candidate of [trimmed, firstLine(trimmed)]) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (isObject(value)) {
        if (isObject(value['error']) || typeof value['error'] === 'string') return toRpcStatus(value['error']);
        if ('code' in value || 'message' in value) return toRpcStatus(value);
      }
    } catch {
      // not JSON: fall through to the excerpt
    }
  }
  return { message: notAnErrorBody(trimmed, status, sanitize) };
}

export interface AgentEventDecoderHandlers {
  /** Called for every event, in order, as soon as its line is complete. */
  event(event: AgentEvent): void;
  /** Called once for an `{"error":…}` line; the decoder ignores everything after it. */
  error(status: RpcStatus): void;
}

export interface AgentEventDecoderOptions extends LineDecoderOptions {
  /** The session the stream belongs to, for lines that do not say. */
  sessionId?: string;
}

/** Bytes in, typed agent events out: the line decoder, JSON parsing and the envelope rules in one pass. */
export class AgentEventDecoder {
  private readonly lines: LineDecoder;
  private readonly sanitize: Sanitize;
  private readonly sessionId: string | undefined;
  private stopped = false;
  private readonly batch: AgentEvent[] = [];

  constructor(
    private readonly handlers: AgentEventDecoderHandlers,
    options: AgentEventDecoderOptions = {},
  ) {
    this.sanitize = options.sanitize ?? ((text) => text);
    this.sessionId = options.sessionId;
    this.lines = new LineDecoder((line, lineNumber) => this.onLine(line, lineNumber), options);
  }

  write(chunk: Uint8Array): void {
    if (!this.stopped) this.lines.write(chunk);
  }

  end(): void {
    if (!this.stopped) this.lines.end();
  }

  private onLine(line: string, lineNumber: number): void {
    if (this.stopped || line.length === 0) return;
    // A keep-alive costs a character test, not a failed JSON.parse: only lines that start with
    // whitespace are looked at, and JSON lines start with '{'.
    if (isWhitespace(line.charCodeAt(0)) && isKeepAlive(line)) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new ConnectlyProtocolError({
        reason: 'malformed-line',
        line: lineNumber,
        preview: safeExcerpt(line, this.sanitize),
        message:
          `Stream line ${lineNumber} is not valid JSON (${this.sanitize(jsonFailure(cause))}): ` +
          `"${safeExcerpt(line, this.sanitize, 80)}"`,
      });
    }
    const envelope = readEnvelope(value);
    if (envelope.kind === 'error') {
      // The error keeps its code; details too deep to print are cut where the error is built.
      this.stopped = true;
      this.handlers.error(envelope.error);
      return;
    }
    if (nestedTooDeeply(line)) throw tooDeep(`Stream line ${lineNumber}`, line, this.sanitize, lineNumber);
    if (envelope.kind === 'unexpected') {
      throw new ConnectlyProtocolError({
        reason: 'unexpected-shape',
        line: lineNumber,
        preview: safeExcerpt(line, this.sanitize),
        message: `Stream line ${lineNumber} is not an Agent Graph event: ${envelope.why} ("${safeExcerpt(line, this.sanitize, 80)}")`,
      });
    }
    const { sessionId, responseEvents } = envelope.response;
    if (!responseEvents || responseEvents.length === 0) return;
    const batch = this.batch;
    for (const element of responseEvents) {
      batch.length = 0;
      toAgentEvents(checkElement(element, lineNumber, this.sanitize), sessionId ?? this.sessionId, batch);
      for (const event of batch) this.handlers.event(event);
    }
  }
}

/** JSON nested deeper than this is refused: `JSON.stringify` (a logger, an n8n item, an SSE event) fails on it. */
const MAX_JSON_DEPTH = 1000;

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 10 || code === 12 || code === 11 || code === 0xa0;
}

/**
 * True when `json` nests objects and arrays deeper than MAX_JSON_DEPTH. Nesting that deep needs more
 * characters and more brackets than that, so ordinary lines pass with a length test or a few
 * bracket searches; only a line with that many brackets is scanned.
 */
function nestedTooDeeply(json: string): boolean {
  if (json.length <= 2 * MAX_JSON_DEPTH) return false;
  let brackets = 0;
  for (const open of ['{', '[']) {
    for (let at = json.indexOf(open); at !== -1 && brackets <= MAX_JSON_DEPTH; at = json.indexOf(open, at + 1)) {
      brackets += 1;
    }
  }
  if (brackets <= MAX_JSON_DEPTH) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i += 1) {
    const code = json.charCodeAt(i);
    if (inString) {
      if (code === 92)
        i += 1; // a backslash escapes the next character
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 123 || code === 91) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (code === 125 || code === 93) depth -= 1;
  }
  return false;
}

function tooDeep(where: string, json: string, sanitize: Sanitize, line?: number): ConnectlyProtocolError {
  return new ConnectlyProtocolError({
    reason: 'unexpected-shape',
    ...(line === undefined ? {} : { line }),
    preview: safeExcerpt(json, sanitize),
    message: `${where} nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep: no Agent Graph event does`,
  });
}

function checkElement(element: unknown, lineNumber: number | undefined, sanitize: Sanitize): ResponseEvent {
  if (isObject(element)) return element as ResponseEvent;
  const where = lineNumber === undefined ? 'The response' : `Stream line ${lineNumber}`;
  const shown = safeExcerpt(printable(element), sanitize, 60);
  throw new ConnectlyProtocolError({
    reason: 'unexpected-shape',
    ...(lineNumber === undefined ? {} : { line: lineNumber }),
    preview: shown,
    message: `${where} holds a response event that is not an object: ${shown}`,
  });
}

/** Turns a unary `{"response":{…}}` body (invoke_sync) into typed events. */
export function eventsOfResponse(response: InvokeResponse, sanitize: Sanitize = (t) => t): AgentEvent[] {
  const out: AgentEvent[] = [];
  for (const element of response.responseEvents ?? []) {
    toAgentEvents(checkElement(element, undefined, sanitize), response.sessionId, out);
  }
  return out;
}
