// The one error hierarchy of the package. Every message names the cause and, where there is one, the fix.
// No error ever carries the API key: messages built from server text pass through `redact` first.

import {
  type Endpoint,
  type MessagingEndpoint,
  RPC_CODE_NAMES,
  RpcCode,
  type RpcStatus,
  rpcCodeForHttpStatus,
} from './wire/api.js';

/** Applied to any server text before it reaches an error: removes the API key. */
export type Sanitize = (text: string) => string;

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

function hintFor(code: number, endpoint: Endpoint): string {
  switch (code) {
    case RpcCode.UNAUTHENTICATED:
      return 'Check the API key: it is sent as the x-api-key header and must be valid for this business';
    case RpcCode.PERMISSION_DENIED:
      return 'The API key is not allowed to use this businessId: check both values';
    case RpcCode.NOT_FOUND:
      return endpoint === 'init' || endpoint === 'health'
        ? 'Check the base URL and the businessId'
        : 'The session is unknown or closed: call init() to start a new session and use the sessionId it returns';
    case RpcCode.FAILED_PRECONDITION:
      return 'The session cannot take this request (closed?): call init() to start a new session';
    case RpcCode.INVALID_ARGUMENT:
      return 'The API rejected the request as invalid: check the fields named in the message';
    case RpcCode.RESOURCE_EXHAUSTED:
      return 'Rate limited: wait and retry';
    case RpcCode.UNAVAILABLE:
      return 'The service is unavailable: retry after a short delay';
    case RpcCode.DEADLINE_EXCEEDED:
      return 'The agent took too long to answer: retry, or send a shorter turn';
    default:
      return '';
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

/**
 * The error behind a connection failure as `cause`, with the key removed from its message, stack and
 * causes: a proxy or a custom fetch may quote the request it failed on. Unchanged when there is none.
 */
function cleanCause(error: unknown, sanitize: Sanitize, depth = 0): unknown {
  if (typeof error === 'string') return sanitize(error);
  if (typeof error !== 'object' || error === null || depth > 4) return error;
  const { name, message, stack, cause, code } = error as Record<string, unknown>;
  const text = typeof message === 'string' ? message : '';
  const trace = typeof stack === 'string' ? stack : '';
  const inner = cleanCause(cause, sanitize, depth + 1);
  if (sanitize(text) === text && sanitize(trace) === trace && inner === cause) return error;
  const copy: Error & { code?: unknown } = new Error(
    sanitize(text),
    inner === undefined ? undefined : { cause: inner },
  );
  copy.name = typeof name === 'string' ? name : 'Error';
  copy.stack = sanitize(trace);
  if (code !== undefined) copy.code = code;
  return copy;
}

/** The message at the bottom of an error's `cause` chain: fetch's own says only "fetch failed". */
function innermostMessage(error: unknown): string {
  let message = String(error);
  // Duck-typed: an error from another realm (a test runner's, say) is not `instanceof Error` here.
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    const own = (current as { message?: unknown }).message;
    if (typeof own === 'string' && own.length > 0) message = own;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

/** True when fetch refused the URL's port (undici says "bad port" in the error's cause). */
function isBadPort(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if ((current as { message?: unknown }).message === 'bad port') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The system error code behind a failed fetch (`ECONNREFUSED`, `UND_ERR_SOCKET`, …), if any. */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
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

// A run of this many characters of the key is the key: someone else's truncation (a JSON parser's
// snippet, say) can cut it, and what is left must not survive either.
const FRAGMENT = 8;

/**
 * Replaces every occurrence of `secret` in `text`, and every run of 8 or more of its characters; the
 * same for the secret as JSON writes it (a tab as `\t`, a quote as `\"`), for text printed as JSON.
 */
export function redact(text: string, secret: string): string {
  const escaped = JSON.stringify(secret).slice(1, -1);
  const clean = redactAs(text, secret);
  return escaped === secret ? clean : redactAs(clean, escaped);
}

function redactAs(text: string, secret: string): string {
  if (secret.length === 0) return text;
  const whole = text.includes(secret) ? text.split(secret).join('[redacted]') : text;
  if (secret.length < FRAGMENT || whole.length < FRAGMENT) return whole;
  const grams = new Set<string>();
  for (let i = 0; i + FRAGMENT <= secret.length; i += 1) grams.add(secret.slice(i, i + FRAGMENT));
  let out = '';
  let kept = 0; // whole[kept…] is not yet copied to out
  let runEnd = -1; // end of the run of key characters being masked
  for (let i = 0; i + FRAGMENT <= whole.length; i += 1) {
    if (!grams.has(whole.slice(i, i + FRAGMENT))) continue;
    if (i > runEnd) {
      if (runEnd >= 0) out += '[redacted]';
      out += whole.slice(kept, i);
    }
    runEnd = i + FRAGMENT;
    kept = runEnd;
  }
  if (runEnd < 0) return whole;
  return `${out}[redacted]${whole.slice(kept)}`;
}

/** A short, printable excerpt of a body or line for an error message. */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

// How much of a long text is sanitised for an excerpt: far more than any excerpt shows.
const EXCERPT_HEAD = 4096;

/**
 * An excerpt of server text with the key removed before anything is cut, so no part of it survives:
 * where the text itself is cut first, the last characters before the cut are dropped too.
 */
export function safeExcerpt(text: string, sanitize: Sanitize, max = 120): string {
  if (text.length <= EXCERPT_HEAD) return excerpt(sanitize(text), max);
  return excerpt(sanitize(text.slice(0, EXCERPT_HEAD)).slice(0, -FRAGMENT), max);
}

// The most of a server's own message an error carries, as for a body that is not JSON.
const SERVER_TEXT_MAX = 300;
// Details nested deeper than this are cut there: a logger or JSON.stringify would choke on them.
const DETAILS_MAX_DEPTH = 32;

/** A server's message as an error carries it: without the key, on one line, at most 300 characters. */
export function serverText(text: string, sanitize: Sanitize): string {
  return safeExcerpt(text, sanitize, SERVER_TEXT_MAX);
}

/** What an error says of a refusal whose body is not the API's error JSON: a short excerpt of it. */
export function notAnErrorBody(text: string, status: number, sanitize: Sanitize): string {
  const trimmed = text.trim();
  return trimmed
    ? `the server answered HTTP ${status} with a body that is not a Connectly error: "${safeExcerpt(trimmed, sanitize)}"`
    : `the server answered HTTP ${status} with an empty body`;
}

/**
 * A server's error details as an error carries them: a copy with the key removed from every string
 * (keys included) as decoded, so no JSON escaping hides it, and what nests deeper than 32 levels replaced
 * by a note. Always printable, whatever arrived.
 */
export function serverDetails(value: unknown, sanitize: Sanitize, depth = 0): unknown {
  if (typeof value === 'string') return sanitize(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= DETAILS_MAX_DEPTH) return `[nested more than ${DETAILS_MAX_DEPTH} levels deep: left out]`;
  if (Array.isArray(value)) return value.map((inner) => serverDetails(inner, sanitize, depth + 1));
  // fromEntries makes own fields, so a "__proto__" key stays a field.
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [sanitize(key), serverDetails(inner, sanitize, depth + 1)]),
  );
}

/** What a JSON parser says is wrong, without the snippet of the input it quotes (it may hold a cut key). */
export function jsonFailure(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/, ".*" is not valid JSON$/s, '');
}

/** `JSON.stringify` that reports a value too deep or too odd to print instead of throwing. */
export function printable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(a value that cannot be printed as JSON)';
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
