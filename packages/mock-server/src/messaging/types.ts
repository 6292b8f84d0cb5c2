// What the messaging room is made with and what it keeps: its options and their defaults, an approved
// template, a webhook registration, a message the business sent, and an answer to a request.

import type { ChaosOptions } from './deliveries.js';

export interface MockMessagingOptions {
  /** The HMAC secret of every business unless set per business. Default `'mock-webhook-secret'`. */
  webhookSecret?: string;
  /** The business's WhatsApp number, the recipient of inbound messages. Default `'+15550100000'`. */
  businessPhone?: string;
  /** Multiplies the redelivery backoff (1, 2, 4, 8 s). Default 1. */
  timeScale?: number;
  /** How long the receiver may take to answer one delivery. Default 10 000 ms. */
  deliveryTimeoutMs?: number;
  /** Counts any 2xx answer from a receiver as success; by default only 200 does. */
  anySuccess?: boolean;
  /** Chaos mode: deliveries duplicated and reordered (Connectly guarantees neither), answers lost so deliveries come again, seeded to replay. */
  chaos?: ChaosOptions | boolean;
  /**
   * Echoes carry the sent message's `callbackData` (default true). The messaging reference promises it on
   * statuses and quoted replies, not on echoes: false delivers echoes without it, as Connectly may.
   */
  echoCallbackData?: boolean;
  /** A second create for a topic replaces the registration instead of answering 409. */
  replaceOnCreate?: boolean;
  /** Sends allowed per business per second before 429. Default 200. */
  rateLimitPerSecond?: number;
  /** The mock's clock (for the 24-hour window and the rate limit). Default `Date.now`. */
  now?: () => number;
  /** Accept BSUID recipients. Default false. */
  bsuid?: boolean;
  /** Keep only this many of the newest records in `sent` and `deliveries`. Default: all (the server's `maxRecords`). */
  maxRecords?: number;
  /** Approved templates; `parameters` are the names a send must fill. Default: `hello_world` (en) and `order_update` (en, body_1). */
  templates?: MockTemplate[];
}

export interface MockTemplate {
  name: string;
  language: string;
  parameters?: string[];
}

export interface MockWebhook {
  id: string;
  businessId: string;
  topic: string;
  address: string;
  type: string;
  configuration: Record<string, unknown>;
}

/** One message the business sent through the mock. */
export interface SentMessage {
  id: string;
  businessId: string;
  kind: 'session' | 'template';
  /** The customer's number (E.164) or BSUID. */
  to: string;
  /** The session message as received (camelCase keys), or the template send. */
  message: Record<string, unknown>;
  callbackData: unknown;
  /** The analytics tag the send carried, if any. */
  campaignName: string | undefined;
  at: number;
}

export interface MessagingResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** The values the options fall back to. */
export const MESSAGING_DEFAULTS = Object.freeze({
  webhookSecret: 'mock-webhook-secret',
  businessPhone: '+15550100000',
  rateLimitPerSecond: 200,
  templates: Object.freeze([
    { name: 'hello_world', language: 'en' },
    { name: 'order_update', language: 'en', parameters: ['body_1'] },
  ]) as readonly MockTemplate[],
});
