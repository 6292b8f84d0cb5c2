// The client for Connectly's Message and Webhook APIs: send session and template messages, send the
// agent's whole reply, and manage webhook registrations. Same discipline as the agent client: typed
// errors, a send that may have gone out is never repeated, Retry-After honoured, the key never shown.

import { lastValueFrom } from 'rxjs';
import type { AgentReply } from '../agent/reply.js';
import { ConnectlyError, ConnectlyProtocolError, ConnectlyValidationError } from '../errors/errors.js';
import {
  type CallDefaults,
  type ConnectlyHttpOptions,
  HTTP_OPTION_NAMES,
  resolveCallSettings,
  resolveHttpOptions,
} from '../http/options.js';
import { Pipeline } from '../http/pipeline.js';
import { inspectCustom } from '../http/platform.js';
import { REDACTED, printable, safeExcerpt } from '../errors/redaction.js';
import type { TransportRequest } from '../http/transport.js';
import { MESSAGE_API_PATH, type MessagingEndpoint } from '../wire/api.js';
import type { AgentEvent } from '../wire/events.js';
import type { OutboundMessage } from '../wire/message-api.js';
import { requireString } from '../decoding/validate.js';
import { type Recipient, checkCallbackData, checkMessage, recipientOf } from './checks.js';
import { ConnectlyMessagingError, ConnectlyReplyIncompleteError, messagingErrorBody } from './errors.js';
import { errorProvesNotProcessed } from './outcome.js';
import { type WhatsAppMappingOptions, type WhatsAppReply, toWhatsAppMessages } from './outbound.js';

export type { Recipient } from './checks.js';

/** The pipeline's options (http/options.ts), with a shorter default time limit: Message API answers are small. */
export interface ConnectlyMessagingClientOptions extends ConnectlyHttpOptions {
  /** Longest wait for a whole answer, in ms. Default 30 000; 0 disables. */
  timeoutMs?: number;
}

export interface MessagingCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface SessionMessageRequest {
  to: Recipient;
  message: OutboundMessage;
  /** Any JSON up to 1024 bytes, echoed on this message's statuses and on replies to it. */
  callbackData?: unknown;
  /** Which of your WhatsApp numbers sends, when you have several. */
  from?: string;
  campaignName?: string;
}

export interface TemplateMessageRequest {
  /** The customer's number, any common format, or `bsuid:<BSUID>`. */
  to: string;
  templateName: string;
  /** Default `en`. */
  language?: string;
  /** `{ body_1: 'Ana' }` or the wire's `[{ name, value }]`. */
  parameters?: Record<string, string> | Array<{ name: string; value: string }>;
  callbackData?: unknown;
  from?: string;
  campaignName?: string;
}

export interface MessageSent {
  /** The message id: delivery statuses carry it as `statusUpdate.id`. */
  id: string;
}

/** A reply mapped by `toWhatsAppMessages`, or built by hand (which may leave out `adjusted`). */
export type MappedReply = Omit<WhatsAppReply, 'adjusted'> & Partial<Pick<WhatsAppReply, 'adjusted'>>;

export interface ReplySent extends Omit<WhatsAppReply, 'messages'> {
  /** Every message sent, in order, with its id. */
  sent: Array<MessageSent & { message: OutboundMessage }>;
  /** The messages `beforeSend` held back, in order (none were sent once one was held back). */
  withheld?: OutboundMessage[];
}

export interface SendReplyOptions extends MessagingCallOptions {
  mapping?: WhatsAppMappingOptions;
  callbackData?: unknown;
  /**
   * Asked right before each message goes out: false holds it and every message after it back (they are
   * returned as `withheld`), e.g. because a person took the conversation over meanwhile. Whatever it
   * throws stops the reply as a failed send would, with proof that this message was not sent.
   */
  beforeSend?: (message: OutboundMessage, index: number) => boolean | Promise<boolean>;
}

export type WebhookTopic = 'messages' | 'delivery_status' | 'report';

export interface WebhookConfiguration {
  /** Also deliver the business's own outbound messages (as `message.isEcho: true`). */
  echo?: boolean;
  channelTypes?: string[];
  filters?: Array<{ field: string; expression: string }>;
  [field: string]: unknown;
}

export interface WebhookRegistration {
  id: string;
  topic: string;
  address: string;
  configuration?: WebhookConfiguration;
}

// Message API answers are a few bytes (`{"id": …}`, a webhook list): anything past this is not one.
const MAX_ANSWER_CHARS = 1024 * 1024;

export class ConnectlyMessagingClient {
  readonly baseUrl: string;
  readonly businessId: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly userAgent: string;
  readonly #pipeline: Pipeline;
  readonly #callDefaults: CallDefaults;

  constructor(options: ConnectlyMessagingClientOptions) {
    // The agent client's pipeline and option rules; only the default time limit differs.
    const resolved = resolveHttpOptions(options, 'ConnectlyMessagingClient', HTTP_OPTION_NAMES, 30_000);
    this.#pipeline = new Pipeline(resolved);
    this.businessId = resolved.businessId;
    this.baseUrl = resolved.baseUrl;
    this.timeoutMs = resolved.timeoutMs;
    this.maxRetries = resolved.maxRetries;
    this.retryBaseDelayMs = resolved.retryBaseDelayMs;
    this.maxRetryDelayMs = resolved.maxRetryDelayMs;
    this.userAgent = resolved.userAgent;
    // Message API answers are unary: `timeoutMs` covers the whole answer, there is no idle limit.
    this.#callDefaults = this.#pipeline.callDefaults(this.timeoutMs, 0);
  }

  /** Sends one session message (within 24 hours of the customer's last message). Never sent twice. */
  async sendMessage(request: SessionMessageRequest, options?: MessagingCallOptions): Promise<MessageSent> {
    if (typeof request !== 'object' || request === null) {
      throw new ConnectlyValidationError('request', 'sendMessage() needs { to, message }');
    }
    const recipient = recipientOf(request.to);
    checkMessage(request.message);
    checkCallbackData(request.callbackData);
    const body = {
      ...(request.from ? { sender: { id: request.from, channelType: 'whatsapp' } } : {}),
      recipient,
      message: request.message,
      ...(request.callbackData === undefined ? {} : { callbackData: request.callbackData }),
      ...(request.campaignName ? { campaignName: request.campaignName } : {}),
    };
    return this.idOf('send/messages', await this.call('send/messages', 'POST', 'send/messages', body, options));
  }

  /** Sends an approved template: for first contact, or once the 24-hour window has closed. */
  async sendTemplate(request: TemplateMessageRequest, options?: MessagingCallOptions): Promise<MessageSent> {
    if (typeof request !== 'object' || request === null) {
      throw new ConnectlyValidationError('request', 'sendTemplate() needs { to, templateName }');
    }
    const number = requireString(request.to, 'to', 'the customer number, e.g. +15551234567');
    const templateName = requireString(request.templateName, 'templateName', 'the exact name of an approved template');
    const parameters = Array.isArray(request.parameters)
      ? request.parameters
      : Object.entries(request.parameters ?? {}).map(([name, value]) => ({ name, value }));
    checkCallbackData(request.callbackData);
    const body = {
      number,
      templateName,
      language: request.language ?? 'en',
      ...(parameters.length ? { parameters } : {}),
      ...(request.from ? { sender: request.from } : {}),
      ...(request.callbackData === undefined ? {} : { callbackData: request.callbackData }),
      ...(request.campaignName ? { campaignName: request.campaignName } : {}),
    };
    const path = 'send/whatsapp_templated_messages';
    return this.idOf(path, await this.call(path, 'POST', path, body, options));
  }

  /**
   * Sends the agent's reply as WhatsApp messages, one at a time and in order. Handovers and what has
   * no WhatsApp form are returned, not sent. If a send fails after others went out, or may have gone
   * out itself, the error is a ConnectlyReplyIncompleteError listing what was sent, what may have been
   * and what was not; when the first send fails with proof that it was not sent, that error as it is.
   */
  async sendReply(
    to: Recipient,
    reply: readonly AgentEvent[] | AgentReply | MappedReply,
    options: SendReplyOptions = {},
  ): Promise<ReplySent> {
    const mapped: MappedReply =
      'choices' in reply && 'unmapped' in reply
        ? reply
        : toWhatsAppMessages(reply as readonly AgentEvent[] | AgentReply, options.mapping);
    const { messages, adjusted = [], ...rest } = mapped;
    recipientOf(to);
    messages.forEach(checkMessage);
    const sent: ReplySent['sent'] = [];
    for (const [index, message] of messages.entries()) {
      let go = true;
      try {
        go = options.beforeSend ? await options.beforeSend(message, index) : true;
      } catch (error) {
        // Nothing of this message left: a reply begun is reported whole, as for a refused send.
        if (sent.length === 0 || !(error instanceof ConnectlyError)) throw error;
        throw new ConnectlyReplyIncompleteError(sent, messages.slice(index), error);
      }
      if (!go) return { sent, ...rest, adjusted, withheld: messages.slice(index) };
      try {
        const { id } = await this.sendMessage({ to, message, callbackData: options.callbackData }, options);
        sent.push({ id, message });
      } catch (error) {
        if (!(error instanceof ConnectlyError)) throw error;
        // Only a failure that proves the message was not sent leaves it among those to send again; any
        // other (a time limit, a broken answer, a 5xx, a 200 without an id [INFERRED: accepted, untracked])
        // leaves its outcome unknown.
        const notSent = errorProvesNotProcessed(error);
        if (notSent && sent.length === 0) throw error; // nothing went out: the error as it is
        const unknown = notSent ? [] : [message];
        throw new ConnectlyReplyIncompleteError(sent, messages.slice(index + unknown.length), error, unknown);
      }
    }
    return { sent, ...rest, adjusted };
  }

  async createWebhook(
    request: { topic: WebhookTopic; address: string; type?: string; configuration?: WebhookConfiguration },
    options?: MessagingCallOptions,
  ): Promise<{ id: string }> {
    requireString(request?.topic, 'topic', 'messages, delivery_status or report');
    requireString(request.address, 'address', 'the public https URL that receives the events');
    return this.idOf(
      'create/webhooks',
      await this.call('create/webhooks', 'POST', 'create/webhooks', request, options),
    );
  }

  async listWebhooks(options?: MessagingCallOptions): Promise<WebhookRegistration[]> {
    const value = (await this.call('webhooks', 'GET', 'webhooks', undefined, options)) as {
      entity?: { webhooks?: WebhookRegistration[] | null };
    };
    return value.entity?.webhooks ?? [];
  }

  async updateWebhook(
    id: string,
    request: { address?: string; configuration?: WebhookConfiguration },
    options?: MessagingCallOptions,
  ): Promise<void> {
    const path = `update/webhooks/${encodeURIComponent(requireString(id, 'id', 'the id createWebhook() returned'))}`;
    await this.call('update/webhooks', 'PUT', path, request, options);
  }

  async deleteWebhook(id: string, options?: MessagingCallOptions): Promise<void> {
    const path = `delete/webhooks/${encodeURIComponent(requireString(id, 'id', 'the id createWebhook() returned'))}`;
    await this.call('delete/webhooks', 'DELETE', path, undefined, options);
  }

  /** Makes sure the topic is delivered to `address` with this configuration: updates a registration, or creates one. */
  async ensureWebhook(
    request: { topic: WebhookTopic; address: string; configuration?: WebhookConfiguration },
    options?: MessagingCallOptions,
  ): Promise<{ id: string; created: boolean }> {
    for (let attempt = 0; ; attempt += 1) {
      const existing = (await this.listWebhooks(options)).find((hook) => hook.topic === request.topic);
      if (existing) {
        await this.updateWebhook(
          existing.id,
          { address: request.address, ...(request.configuration ? { configuration: request.configuration } : {}) },
          options,
        );
        return { id: existing.id, created: false };
      }
      try {
        return { ...(await this.createWebhook(request, options)), created: true };
      } catch (error) {
        // Someone registered the topic between our list and create: update theirs.
        if (attempt > 0 || !(error instanceof ConnectlyMessagingError) || error.status !== 409) throw error;
      }
    }
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      businessId: this.businessId,
      apiKey: REDACTED,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
    };
  }

  [inspectCustom](): string {
    return `ConnectlyMessagingClient ${JSON.stringify(this.toJSON())}`;
  }

  toString(): string {
    return `ConnectlyMessagingClient(${this.baseUrl}, business ${this.businessId})`;
  }

  // ---- the calls, on the pipeline ----

  private idOf(endpoint: MessagingEndpoint, value: unknown): { id: string } {
    const id = (value as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') {
      const shown = safeExcerpt(printable(value), this.#pipeline.sanitize, 80);
      throw new ConnectlyProtocolError({
        reason: 'unexpected-shape',
        preview: shown,
        message: `The ${endpoint} response has no "id" ("${shown}")`,
      });
    }
    return { id };
  }

  private async call(
    endpoint: MessagingEndpoint,
    method: TransportRequest['method'],
    path: string,
    body: unknown,
    options: MessagingCallOptions | undefined,
  ): Promise<unknown> {
    const settings = { ...resolveCallSettings(options, this.#callDefaults), idleTimeoutMs: 0 };
    const sanitize = this.#pipeline.sanitize;
    return lastValueFrom(
      this.#pipeline.observe<unknown>({
        endpoint,
        method,
        path: `${MESSAGE_API_PATH}/${encodeURIComponent(this.businessId)}/${path}`,
        body: body === undefined ? undefined : JSON.stringify(body),
        settings,
        signal: options?.signal,
        refuse: (status, text, retryAfterMs) =>
          new ConnectlyMessagingError({
            endpoint,
            status,
            body: messagingErrorBody(text, status, sanitize),
            retryAfterMs,
          }),
        read: async (response, call, emit) =>
          emit.next(this.parse(endpoint, await call.readAnswer(response, MAX_ANSWER_CHARS))),
      }),
    );
  }

  private parse(endpoint: MessagingEndpoint, text: string): unknown {
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const sanitize = this.#pipeline.sanitize;
      throw new ConnectlyProtocolError({
        reason: 'malformed-body',
        preview: safeExcerpt(text, sanitize),
        message: `The ${endpoint} response is not JSON: "${safeExcerpt(text, sanitize, 80)}"`,
      });
    }
  }
}
