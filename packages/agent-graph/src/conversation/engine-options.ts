// What the conversation engine is made with, what it answers for each delivery, and its defaults: the
// replay window, the leases, the hold's TTL and the 24-hour window's template.

import { ConnectlyError, ConnectlyValidationError } from '../errors/errors.js';
import type {
  MessagingCallOptions,
  MessageSent,
  SessionMessageRequest,
  TemplateMessageRequest,
} from '../messaging/client.js';
import { DEFAULT_WEBHOOK_MAX_AGE_MS, type RawBody, type WebhookHeaders } from '../messaging/webhook.js';
import type { WhatsAppMappingOptions } from '../messaging/whatsapp-reply.js';
import type { AgentSession } from '../sessions/session.js';
import { DEFAULT_HOLD_TTL_MS } from './state.js';
import type { ConversationStore } from './store.js';

export { DEFAULT_HOLD_TTL_MS, WHATSAPP_WINDOW_MS } from './state.js';

/** How long a process may hold a delivery or a customer's turns without renewing, by default: 15 s. */
export const DEFAULT_ENGINE_LEASE_MS = 15_000;
/** How often each engine looks for inboxes nobody is working on (a process died in a turn), by default. */
export const DEFAULT_SWEEP_INTERVAL_MS = 1_000;

/** The template sent instead of a reply due outside the 24-hour window. */
export interface WindowTemplate {
  templateName: string;
  /** Default `en`. */
  language?: string;
  parameters?: Record<string, string>;
}

/** What the engine tells the app when a conversation is handed to a person, or a held customer writes. */
export interface HandoverNotice {
  clientKey: string;
  kind: 'handover' | 'customer-message' | 'human-reply';
  /** The agent's handover reason, or what was said. */
  text: string;
}

export interface EngineLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the engine needs of the agent client: a session per customer, shared through the same store. */
export interface EngineAgent {
  session(options: { clientKey: string }): AgentSession;
}

/** What the engine needs of the Message API client. */
export interface EngineMessaging {
  sendMessage(request: SessionMessageRequest, options?: MessagingCallOptions): Promise<MessageSent>;
  sendTemplate(request: TemplateMessageRequest, options?: MessagingCallOptions): Promise<MessageSent>;
}

export interface ConversationEngineOptions {
  /** Where every replica keeps the loop's state; the agent client must use it as its `sessionStore` too. */
  store: ConversationStore;
  /** The agent client (`new ConnectlyClient({ ..., sessionStore: store })`). */
  agent: EngineAgent;
  /** The Message API client. */
  messaging: EngineMessaging;
  businessId: string;
  /** The per-business webhook secret Connectly signs deliveries with. */
  webhookSecret: string;
  /**
   * The replay window: how far a delivery's signed timestamp may be from now; older ones are refused.
   * Default 5 minutes. [INFERRED] Connectly documents no retry schedule ("may retry"); the schedule we
   * assume, and the mock uses (up to 5 attempts, 1-8 s apart, 10 s each), spans about a minute, and 5
   * minutes leaves room for a slower one and for clock skew. A redelivery later than this is refused and
   * logged, never processed twice. Repeats are recognised for twice this long, so the whole window is
   * covered on both sides of the clock.
   */
  maxAgeMs?: number;
  /** How long a delivery claim or a customer's turn lock outlives a process that stopped renewing it. Default 15 s. */
  leaseMs?: number;
  /** How long a hold lasts without a release. Default a day. */
  holdTtlMs?: number;
  /** How often this engine looks for waiting inboxes nobody works on. Default 1 s. */
  sweepIntervalMs?: number;
  /** Sent instead of a reply due outside WhatsApp's 24-hour window; without it such a reply fails. */
  windowTemplate?: WindowTemplate;
  /** Told of handovers and of what is said while held (e.g. to page the desk). Failures are logged. */
  onHandover?: (notice: HandoverNotice) => void | Promise<void>;
  mapping?: WhatsAppMappingOptions;
  logger?: EngineLogger;
  /** Replaces the clock (ms since the epoch). */
  now?: () => number;
}

/** A raw delivery as the web framework got it: the exact body bytes and the headers. */
export interface RawDelivery {
  rawBody: RawBody | undefined;
  headers: WebhookHeaders;
}

/**
 * What became of a delivery:
 * - `accepted`: a customer's message, kept durably; the agent's turn follows (on this replica or another);
 * - `held`: a customer's message kept for the agent while a person holds the conversation;
 * - `duplicate`: a repeat of a delivery already accepted; `in-progress`: a repeat of one being accepted now;
 * - `echo-own`: the echo of an automated send; `echo-human`: a person wrote from the inbox (the conversation is held);
 * - `status`: a delivery status; `ignored`: a delivery the loop has no use for;
 * - `refused-signature`, `refused-stale`, `refused-malformed`: not taken; `failed`: could not be kept, send it again.
 */
export type ReceiveOutcome =
  | 'accepted'
  | 'held'
  | 'duplicate'
  | 'in-progress'
  | 'echo-own'
  | 'echo-human'
  | 'status'
  | 'ignored'
  | 'refused-signature'
  | 'refused-stale'
  | 'refused-malformed'
  | 'failed';

export interface ReceiveResult {
  /** The HTTP status to answer Connectly with: 200 once the delivery is safe, else an error (Connectly retries). */
  status: number;
  outcome: ReceiveOutcome;
  clientKey?: string;
}

/** A reply is due outside the 24-hour window and no template is configured. */
export class ConnectlyOutsideWindowError extends ConnectlyError {
  constructor(readonly clientKey: string) {
    super(
      `The reply to ${clientKey} is due outside WhatsApp's 24-hour window, where only templates may be sent: set \`conversations.windowTemplate\` (an approved template) to send one instead`,
    );
  }
}
Object.defineProperty(ConnectlyOutsideWindowError.prototype, 'name', {
  value: 'ConnectlyOutsideWindowError',
  writable: true,
  configurable: true,
});

export interface EngineSettings {
  maxAgeMs: number;
  keepMs: number;
  leaseMs: number;
  holdTtlMs: number;
  sweepIntervalMs: number;
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConnectlyValidationError(
      name,
      `\`${name}\` must be a positive number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}

/** The options' durations, checked, with their defaults. */
export function engineSettings(options: ConversationEngineOptions): EngineSettings {
  for (const name of ['store', 'agent', 'messaging'] as const) {
    if (typeof options[name] !== 'object' || options[name] === null) {
      throw new ConnectlyValidationError(name, `The conversation engine needs \`${name}\``);
    }
  }
  for (const name of ['businessId', 'webhookSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      throw new ConnectlyValidationError(name, `The conversation engine needs \`${name}\` (a non-empty string)`);
    }
  }
  const maxAgeMs = positive(options.maxAgeMs, 'maxAgeMs', DEFAULT_WEBHOOK_MAX_AGE_MS);
  return {
    maxAgeMs,
    keepMs: 2 * maxAgeMs,
    leaseMs: positive(options.leaseMs, 'leaseMs', DEFAULT_ENGINE_LEASE_MS),
    holdTtlMs: positive(options.holdTtlMs, 'holdTtlMs', DEFAULT_HOLD_TTL_MS),
    sweepIntervalMs: positive(options.sweepIntervalMs, 'sweepIntervalMs', DEFAULT_SWEEP_INTERVAL_MS),
  };
}
