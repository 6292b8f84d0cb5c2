// Verifying Connectly webhook deliveries: HMAC-SHA256 of the exact raw body bytes, Base64, in the
// x-connectly-hmac-sha256 header, compared in constant time before the body is trusted or parsed; then
// the signed `timestamp`, so that a captured delivery cannot be replayed later.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConnectlyError, ConnectlyProtocolError, ConnectlyValidationError } from '../errors/errors.js';
import { type InboundEvent, readWebhook } from './inbound.js';

export const SIGNATURE_HEADER = 'x-connectly-hmac-sha256';

/** The request body exactly as it arrived: a Buffer/Uint8Array, an ArrayBuffer, or the undecoded text. */
export type RawBody = Uint8Array | ArrayBuffer | string;

/** Request headers in any of the usual shapes: a fetch `Headers`, or Node's/Express's plain object. */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** How far a delivery's signed `timestamp` may be from the receiver's clock by default: 5 minutes. */
export const DEFAULT_WEBHOOK_MAX_AGE_MS = 5 * 60 * 1000;

const SIGNATURE_MESSAGES = {
  missing: `The webhook request has no ${SIGNATURE_HEADER} header: it was not sent by Connectly, refuse it`,
  mismatch:
    'The webhook signature does not match the body: refuse it (if every delivery fails, check that the webhook secret is the one Connectly holds for this business and that the body is read raw, before any parser)',
  stale:
    "The webhook delivery's signed timestamp is outside the accepted age: a replay of an old delivery, refuse it (if every delivery fails, check the receiver's clock, or raise `maxAgeMs`)",
} as const;

/**
 * The delivery's signature is missing or does not match (the body must not be used), or its signed
 * timestamp is too old or too far ahead (`stale`: a replay).
 */
export class ConnectlyWebhookSignatureError extends ConnectlyError {
  readonly reason: keyof typeof SIGNATURE_MESSAGES;

  constructor(reason: keyof typeof SIGNATURE_MESSAGES) {
    super(SIGNATURE_MESSAGES[reason]);
    this.reason = reason;
  }
}
Object.defineProperty(ConnectlyWebhookSignatureError.prototype, 'name', {
  value: 'ConnectlyWebhookSignatureError',
  writable: true,
  configurable: true,
});

function bytesOf(body: unknown): Uint8Array {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body === undefined || body === null) {
    throw new ConnectlyValidationError(
      'rawBody',
      'The webhook request has no raw body: keep the exact bytes of the request (NestJS: `NestFactory.create(AppModule, { rawBody: true })` and `req.rawBody`; Express: `express.raw({ type: "*/*" })` on the webhook route)',
    );
  }
  throw new ConnectlyValidationError(
    'rawBody',
    'The webhook body was already parsed into an object: the signature covers the exact bytes Connectly sent, so it cannot be checked on re-serialised JSON. Pass the raw body instead (NestJS: `rawBody: true` and `req.rawBody`; Express: `express.raw({ type: "*/*" })` on the webhook route)',
  );
}

function checkSecret(secret: unknown): string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new ConnectlyValidationError(
      'webhookSecret',
      '`webhookSecret` is required: the per-business webhook secret Connectly gave you',
    );
  }
  return secret;
}

/** The Base64 signature Connectly puts on `body` (useful to test your own receiver). */
export function signWebhook(body: RawBody, secret: string): string {
  return createHmac('sha256', checkSecret(secret)).update(bytesOf(body)).digest('base64');
}

/** Reads the signature header from any header shape, whatever the case of its name. */
export function webhookSignature(headers: WebhookHeaders): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(SIGNATURE_HEADER) ?? undefined;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (name.toLowerCase() !== SIGNATURE_HEADER) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** True when `signature` is Connectly's signature of these exact bytes. Constant-time. */
export function verifyWebhookSignature(
  rawBody: RawBody,
  signature: string | null | undefined,
  secret: string,
): boolean {
  const bytes = bytesOf(rawBody);
  const key = checkSecret(secret);
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(signature.trim())) return false;
  // Both sides are 44 ASCII characters here, so comparing their bytes leaks nothing about the secret.
  const encoder = new TextEncoder();
  const expected = encoder.encode(createHmac('sha256', key).update(bytes).digest('base64'));
  const given = encoder.encode(signature.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface ParseWebhookOptions {
  /**
   * How far the signed `timestamp` may be from now, either way, in ms; older (or later) deliveries are
   * refused as replays. Default {@link DEFAULT_WEBHOOK_MAX_AGE_MS} (5 minutes). Keep each delivery's claim
   * done at least this long (`ConversationState.complete`), so a replay inside the age is refused as a repeat.
   */
  maxAgeMs?: number;
  /** Replaces the clock (ms since the epoch), e.g. to test the age without waiting. */
  now?: () => number;
}

/**
 * When the delivery was made (ms since the epoch): `timestamp` is Unix seconds on `messages` and
 * `delivery_status`, ISO 8601 on `report` (connectly-messaging.md §3); NaN when unreadable.
 */
function deliveredAt(timestamp: unknown): number {
  if (typeof timestamp === 'number') return timestamp * 1000;
  if (typeof timestamp !== 'string' || timestamp.trim() === '') return Number.NaN;
  return /^\d+(\.\d+)?$/.test(timestamp.trim()) ? Number(timestamp) * 1000 : Date.parse(timestamp);
}

function checkAge(value: unknown, options: ParseWebhookOptions): void {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_WEBHOOK_MAX_AGE_MS;
  if (typeof maxAgeMs !== 'number' || Number.isNaN(maxAgeMs) || maxAgeMs <= 0) {
    throw new ConnectlyValidationError('maxAgeMs', `\`maxAgeMs\` must be a positive number, got ${String(maxAgeMs)}`);
  }
  const timestamp = (value as { timestamp?: unknown } | null)?.timestamp;
  // [INFERRED] Connectly's docs show a `timestamp` on every delivery but do not promise one: a signed
  // delivery without it cannot be dated, and is taken (a captured real delivery always carries one).
  if (timestamp === undefined || timestamp === null) return;
  const age = (options.now ?? Date.now)() - deliveredAt(timestamp);
  if (!(Math.abs(age) <= maxAgeMs)) throw new ConnectlyWebhookSignatureError('stale');
}

/**
 * Verifies a delivery and reads it: throws ConnectlyWebhookSignatureError on a missing or wrong
 * signature (before the body is parsed) or on a signed `timestamp` older than `maxAgeMs`, then
 * returns the typed event.
 */
export function parseWebhook(
  rawBody: RawBody,
  headers: WebhookHeaders,
  secret: string,
  options: ParseWebhookOptions = {},
): InboundEvent {
  // An unsigned request is refused as such before anything else, whatever its body became.
  const signature = webhookSignature(headers);
  if (signature === undefined || signature === '') throw new ConnectlyWebhookSignatureError('missing');
  const bytes = bytesOf(rawBody);
  if (!verifyWebhookSignature(bytes, signature, secret)) throw new ConnectlyWebhookSignatureError('mismatch');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ConnectlyProtocolError({ reason: 'malformed-body', message: 'The signed webhook body is not JSON' });
  }
  checkAge(value, options);
  return readWebhook(value);
}
