// The argument checks every ConversationStore shares, and the error a bounded store refuses with.

import { ConnectlyError, ConnectlyValidationError } from '../errors/errors.js';

/**
 * A bounded store is full of records it must not forget (claims, holds): it refuses a new one rather than
 * drop one silently. Raise the store's `maxEntries`, clear holds, or use a shared store (Redis).
 */
export class ConversationStoreFullError extends ConnectlyError {
  /** What is full: `deliveries`, `holds`, `choices`, `inbound` or `sends`. */
  readonly kind: string;
  readonly maxEntries: number;

  constructor(kind: string, maxEntries: number) {
    super(
      `The conversation store keeps at most ${maxEntries} ${kind}, all still live: raise \`maxEntries\`, ` +
        'release held conversations, or use a shared store such as RedisConversationStore',
    );
    this.kind = kind;
    this.maxEntries = maxEntries;
  }
}
Object.defineProperty(ConversationStoreFullError.prototype, 'name', {
  value: 'ConversationStoreFullError',
  writable: true,
  configurable: true,
});

const HINTS: Record<string, string> = {
  id: "the delivery's x-connectly-hmac-sha256 signature",
  key: 'sessionKey(businessId, clientKey)',
  token: 'a value unique to this attempt, e.g. crypto.randomUUID()',
  by: 'who holds the conversation, e.g. a teammate id',
  reason: 'why it is held, e.g. the handover reason',
  messageId: 'the id Connectly gave the sent message',
  fingerprint: "a hash of the message's content",
  payload: 'what the loop keeps of the accepted delivery, e.g. its event as JSON',
  sender: 'a value unique to the turn that sends, e.g. crypto.randomUUID()',
};

/**
 * Checks one argument of a ConversationStore call, for implementations: a string named in `HINTS` must be
 * non-empty; `index` an integer from 0; `leaseMs`, `keepMs`, `ttlMs` and `at` must be positive finite numbers, `keep` and `limit`
 * positive integers. Throws ConnectlyValidationError naming the expected value.
 */
export function checkStoreArgument(name: string, value: unknown): void {
  if (name in HINTS) {
    if (typeof value !== 'string' || value === '') {
      throw new ConnectlyValidationError(name, `\`${name}\` must be a non-empty string: pass ${HINTS[name]}`);
    }
    return;
  }
  if (name === 'index') {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new ConnectlyValidationError(name, `\`index\` must be an integer from 0, got ${String(value)}`);
    }
    return;
  }
  const integer = name === 'keep' || name === 'limit';
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ConnectlyValidationError(
      name,
      `\`${name}\` must be a positive ${integer ? 'integer' : 'number of milliseconds'}, got ${String(value)}`,
    );
  }
}

/**
 * Checks each named argument of a call (see {@link checkStoreArgument}); those named in `optional` may
 * be undefined.
 */
export function checkStoreArguments(values: Record<string, unknown>, optional: readonly string[] = []): void {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined || !optional.includes(name)) checkStoreArgument(name, value);
  }
}
