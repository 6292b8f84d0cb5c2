// The one error hierarchy of the package. Every message names the cause and, where there is one, the fix.
// No error ever carries the API key: messages built from server text pass through `redact` first.

import type { RpcStatus } from './wire.js';

/** google.rpc.Code names, by number. */
export const RPC_CODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
});

// The gRPC code grpc-gateway pairs with an HTTP status, used when a body carries no code of its own.
const CODE_FOR_STATUS: Readonly<Record<number, number>> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  409: 10,
  429: 8,
  499: 1,
  500: 13,
  501: 12,
  502: 14,
  503: 14,
  504: 4,
};

export type Endpoint = 'init' | 'invoke' | 'invoke_sync' | 'close' | 'health';

/** The base class: `catch (e) { if (e instanceof ConnectlyError) … }` catches everything this package throws. */
export class ConnectlyError extends Error {
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) {
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
}

/** The API answered with an error: a non-2xx status, or an `{"error":…}` line inside a 200 stream. */
export class ConnectlyApiError extends ConnectlyError {
  /** HTTP status; 200 when the error arrived as a line inside the stream. */
  readonly status: number;
  /** Numeric google.rpc code (16 = UNAUTHENTICATED, 5 = NOT_FOUND, …). */
  readonly code: number;
  /** The name of `code`, e.g. `'UNAUTHENTICATED'`. */
  readonly codeName: string;
  readonly details: NonNullable<RpcStatus['details']>;
  readonly endpoint: Endpoint;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /** The server's own message, without our hint. */
  readonly serverMessage: string;

  constructor(init: {
    endpoint: Endpoint;
    status: number;
    code?: number | undefined;
    message?: string | undefined;
    details?: RpcStatus['details'];
    retryAfterMs?: number | undefined;
  }) {
    const code = init.code ?? CODE_FOR_STATUS[init.status] ?? 2;
    const codeName = RPC_CODE_NAMES[code] ?? `CODE_${code}`;
    const serverMessage = init.message ?? '';
    const where = init.status === 200 ? 'in the response stream' : `HTTP ${init.status}`;
    const hint = hintFor(code, init.endpoint);
    super(
      `Connectly ${init.endpoint} failed (${where}, ${codeName}): ${serverMessage || 'no message'}` +
        (hint ? `. ${hint}` : ''),
    );
    this.status = init.status;
    this.code = code;
    this.codeName = codeName;
    this.details = init.details ?? [];
    this.endpoint = init.endpoint;
    this.retryAfterMs = init.retryAfterMs;
    this.serverMessage = serverMessage;
  }
}

function hintFor(code: number, endpoint: Endpoint): string {
  switch (code) {
    case 16:
      return 'Check the API key: it is sent as the x-api-key header and must be valid for this business';
    case 7:
      return 'The API key is not allowed to use this businessId: check both values';
    case 5:
      return endpoint === 'init' || endpoint === 'health'
        ? 'Check the base URL and the businessId'
        : 'The session is unknown or closed: call init() to start a new session and use the sessionId it returns';
    case 9:
      return 'The session cannot take this request (closed?): call init() to start a new session';
    case 3:
      return 'The API rejected the request as invalid: check the fields named in the message';
    case 8:
      return 'Rate limited: wait and retry';
    case 14:
      return 'The service is unavailable: retry after a short delay';
    case 4:
      return 'The agent took too long to answer: retry, or send a shorter turn';
    default:
      return '';
  }
}

/** No response headers within `timeoutMs`, or no bytes on the stream for `idleTimeoutMs`. */
export class ConnectlyTimeoutError extends ConnectlyError {
  readonly phase: 'headers' | 'idle';
  readonly timeoutMs: number;
  readonly endpoint: Endpoint;

  constructor(endpoint: Endpoint, phase: 'headers' | 'idle', timeoutMs: number) {
    super(
      phase === 'headers'
        ? `Connectly ${endpoint} timed out: no response within ${timeoutMs} ms (raise the timeoutMs option if the agent is slow)`
        : `Connectly ${endpoint} stalled: the stream sent nothing for ${timeoutMs} ms (raise the idleTimeoutMs option if the agent pauses longer)`,
    );
    this.phase = phase;
    this.timeoutMs = timeoutMs;
    this.endpoint = endpoint;
  }
}

export type ProtocolErrorReason =
  'malformed-line' | 'line-too-long' | 'invalid-utf8' | 'unexpected-shape' | 'malformed-body';

/** The server sent something that is not the Agent Graph wire format. Says where. */
export class ConnectlyProtocolError extends ConnectlyError {
  readonly reason: ProtocolErrorReason;
  /** 1-based line number in the stream, counting keep-alive lines. */
  readonly line: number | undefined;
  /** The start of the offending text, at most 120 characters. */
  readonly preview: string | undefined;

  constructor(init: { reason: ProtocolErrorReason; message: string; line?: number; preview?: string }) {
    super(init.message);
    this.reason = init.reason;
    this.line = init.line;
    this.preview = init.preview;
  }
}

/** The connection failed: refused, DNS, reset, or the stream ended before it was complete. */
export class ConnectlyConnectionError extends ConnectlyError {
  /** `'connect'`: nothing reached the server. `'response'`: the connection broke while the answer was arriving. */
  readonly phase: 'connect' | 'response';
  /** The system error code when there is one (`ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, …). */
  readonly errorCode: string | undefined;

  constructor(init: {
    phase: 'connect' | 'response';
    message: string;
    errorCode?: string | undefined;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.phase = init.phase;
    this.errorCode = init.errorCode;
  }
}

/** Bad input or options, raised before any request is made. `field` is the path of the offending value. */
export class ConnectlyValidationError extends ConnectlyError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** The call was cancelled before it completed: the caller's AbortSignal fired, or the application is shutting down. */
export class ConnectlyAbortError extends ConnectlyError {
  readonly endpoint: Endpoint;

  constructor(endpoint: Endpoint, why = 'by the caller') {
    super(`Connectly ${endpoint} was cancelled ${why}`);
    this.endpoint = endpoint;
  }
}

/**
 * The session store failed (unreachable, or the turn's lock was lost) while handling one turn of a
 * conversation kept in a `sessionStore`. `sent` says whether Connectly may have processed the turn.
 */
export class ConnectlySessionStoreError extends ConnectlyError {
  /** The store step that failed: `get`, `set`, `delete`, `lock`, `renew` or `unlock`. */
  readonly operation: string;
  /** True when the turn's input reached Connectly before the failure (its reply events, if any, were delivered). */
  readonly sent: boolean;

  constructor(init: { operation: string; sent: boolean; message: string; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.operation = init.operation;
    this.sent = init.sent;
  }
}

/** Replaces every occurrence of `secret` in `text`; used on all server-provided text that reaches an error. */
export function redact(text: string, secret: string): string {
  return secret.length > 0 && text.includes(secret) ? text.split(secret).join('[redacted]') : text;
}

/** A short, printable excerpt of a body or line for an error message. */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

for (const type of [
  ConnectlyError,
  ConnectlyApiError,
  ConnectlyTimeoutError,
  ConnectlyProtocolError,
  ConnectlyConnectionError,
  ConnectlyValidationError,
  ConnectlyAbortError,
  ConnectlySessionStoreError,
]) {
  Object.defineProperty(type.prototype, 'name', { value: type.name, writable: true, configurable: true });
}
