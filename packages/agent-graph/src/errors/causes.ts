// Reading the cause of a failed request: the system error code behind a failed fetch, the message at the
// bottom of its cause chain, fetch's refusal of a port, and the cause cleaned of the key before an error
// carries it.

import type { Sanitize } from './redaction.js';

/**
 * The error behind a connection failure as `cause`, with the key removed from its message, stack and
 * causes: a proxy or a custom fetch may quote the request it failed on. Unchanged when there is none.
 */
export function cleanCause(error: unknown, sanitize: Sanitize, depth = 0): unknown {
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
export function innermostMessage(error: unknown): string {
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
export function isBadPort(error: unknown): boolean {
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
