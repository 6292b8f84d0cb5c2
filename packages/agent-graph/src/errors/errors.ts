// The one error hierarchy of the package: its classes only. Every message names the cause and, where there
// is one, the fix. No error ever carries the API key: messages built from server text pass through
// redaction.ts first; the hints (hints.ts) and the reading of a failure's cause (causes.ts) sit beside it.

import { cleanCause, errorCode, innermostMessage, isBadPort } from './causes.js';
import { apiErrorHint } from './hints.js';
import { type Sanitize, printable, safeExcerpt, serverDetails, serverText } from './redaction.js';
import {
  type Endpoint,
  type MessagingEndpoint,
  RPC_CODE_NAMES,
  type RpcStatus,
  rpcCodeForHttpStatus,
} from '../wire/api.js';

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
    const code = init.code ?? rpcCodeForHttpStatus(init.status);
    const codeName = RPC_CODE_NAMES[code] ?? `CODE_${code}`;
    const serverMessage = init.message ?? '';
    const where = init.status === 200 ? 'in the response stream' : `HTTP ${init.status}`;
    const hint = apiErrorHint(code, init.endpoint);
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

  /** The error for an rpc status the server sent, with every server text sanitised and its message cut short. */
  static from(
    endpoint: Endpoint,
    status: number,
    rpc: RpcStatus,
    sanitize: Sanitize,
    retryAfterMs?: number,
  ): ConnectlyApiError {
    return new ConnectlyApiError({
      endpoint,
      status,
      code: rpc.code,
      message: rpc.message === undefined ? undefined : serverText(rpc.message, sanitize),
      details: rpc.details && (serverDetails(rpc.details, sanitize) as RpcStatus['details']),
      retryAfterMs,
    });
  }
}

/** No response headers within `timeoutMs`, or no bytes on the stream for `idleTimeoutMs`. */
export class ConnectlyTimeoutError extends ConnectlyError {
  readonly phase: 'headers' | 'idle';
  readonly timeoutMs: number;
  readonly endpoint: Endpoint | MessagingEndpoint;

  constructor(endpoint: Endpoint | MessagingEndpoint, phase: 'headers' | 'idle', timeoutMs: number) {
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
  'malformed-line' | 'line-too-long' | 'invalid-utf8' | 'unexpected-shape' | 'malformed-body' | 'unexpected-encoding';

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

  /** A unary body (or close's line) that is not JSON. */
  static malformedBody(endpoint: Endpoint, text: string, sanitize: Sanitize): ConnectlyProtocolError {
    return new ConnectlyProtocolError({
      reason: 'malformed-body',
      preview: safeExcerpt(text, sanitize),
      message: `The ${endpoint} response is not JSON: "${safeExcerpt(text, sanitize, 80) || '(empty body)'}"`,
    });
  }

  /** A 2xx answer in a content-encoding the client did not ask for: its end cannot be checked. */
  static compressed(
    endpoint: Endpoint | MessagingEndpoint,
    encoding: string,
    sanitize: Sanitize,
  ): ConnectlyProtocolError {
    return new ConnectlyProtocolError({
      reason: 'unexpected-encoding',
      message:
        `The ${endpoint} response is compressed (content-encoding: ${safeExcerpt(encoding, sanitize, 40)}) although ` +
        'the client asked for none: a compressed answer cut short cannot be told from a complete one',
    });
  }

  /** JSON that is not what the endpoint answers; `why` says what is wrong with it. */
  static unexpectedShape(endpoint: Endpoint, why: string, value: unknown, sanitize: Sanitize): ConnectlyProtocolError {
    const shown = safeExcerpt(printable(value), sanitize, 80);
    return new ConnectlyProtocolError({
      reason: 'unexpected-shape',
      preview: shown,
      message: `The ${endpoint} response is not in the Agent Graph format: ${why} ("${shown}")`,
    });
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

  /** The error for a failed fetch or a broken body; `host` is where the client was trying to reach. */
  static from(
    endpoint: Endpoint | MessagingEndpoint,
    error: unknown,
    phase: 'connect' | 'response',
    host: string,
    sanitize: Sanitize,
  ): ConnectlyConnectionError {
    const code = errorCode(error);
    if (isBadPort(error)) {
      // fetch refuses some ports outright (the Fetch standard's "bad ports"); nothing was sent.
      return new ConnectlyConnectionError({
        phase: 'connect',
        errorCode: code,
        cause: cleanCause(error, sanitize),
        message:
          `Could not reach Connectly at ${host} for ${endpoint}: fetch refuses to connect to that port ` +
          '(a "bad port" of the Fetch standard, such as 1, 22 or 6000): use another port',
      });
    }
    const reason = sanitize(code ?? innermostMessage(error));
    const message =
      phase === 'connect'
        ? `Could not reach Connectly at ${host} for ${endpoint} (${reason}): check the baseUrl option and your network`
        : `The connection to Connectly at ${host} broke during ${endpoint} (${reason}): the answer is incomplete`;
    return new ConnectlyConnectionError({ phase, message, errorCode: code, cause: cleanCause(error, sanitize) });
  }

  /**
   * A 3xx answer. Redirects are never followed: the x-api-key header would go with the request to
   * wherever the redirect points, and an invoke would be sent again.
   */
  static redirected(
    endpoint: Endpoint | MessagingEndpoint,
    status: number,
    location: string | null,
    url: string,
    sanitize: Sanitize,
  ): ConnectlyConnectionError {
    const host = new URL(url).host;
    let target = 'no Location';
    try {
      if (location !== null) target = new URL(location, url).origin;
    } catch {
      target = 'an unreadable Location';
    }
    return new ConnectlyConnectionError({
      phase: 'connect',
      errorCode: 'ERR_REDIRECT',
      message:
        `Connectly at ${host} answered ${endpoint} with a redirect (HTTP ${status} to ${safeExcerpt(target, sanitize, 80)}): ` +
        'redirects are not followed, so the API key never leaves for another address; set baseUrl to the address that answers',
    });
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
  readonly endpoint: Endpoint | MessagingEndpoint;

  constructor(endpoint: Endpoint | MessagingEndpoint, why = 'by the caller') {
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

/**
 * A resumable turn could not be started or followed: `not-found` (unknown, or kept no longer than its
 * retention), `exists` (the turn id is taken) or `store` (the turn log store failed).
 */
export class ConnectlyTurnLogError extends ConnectlyError {
  readonly reason: 'not-found' | 'exists' | 'store';
  readonly turnId: string;

  constructor(init: { reason: 'not-found' | 'exists' | 'store'; turnId: string; message: string; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.reason = init.reason;
    this.turnId = init.turnId;
  }
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
  ConnectlyTurnLogError,
]) {
  Object.defineProperty(type.prototype, 'name', { value: type.name, writable: true, configurable: true });
}
