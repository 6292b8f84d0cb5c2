// The client for Connectly's Message and Webhook APIs: send session and template messages, send the
// agent's whole reply, and manage webhook registrations. Same discipline as the agent client: typed
// errors, a send that may have gone out is never repeated, Retry-After honoured, the key never shown.

import { sendWithRetries } from '../attempts.js';
import { errorProvesNotProcessed } from '../retry.js';
import { Call, type CallContext } from '../call.js';
import {
  ConnectlyAbortError,
  ConnectlyError,
  ConnectlyProtocolError,
  ConnectlyValidationError,
  notAnErrorBody,
  printable,
  redact,
  safeExcerpt,
  serverDetails,
  serverText,
} from '../errors.js';
import type { AgentEvent } from '../events.js';
import { type CallDefaults, resolveCallSettings, resolveOptions } from '../options.js';
import { type Scheduler, inspectCustom } from '../platform.js';
import type { AgentReply } from '../reply.js';
import type { FetchLike, TransportRequest } from '../transport.js';
import { requireString } from '../validate.js';
import { MESSAGE_CONTENT_KINDS, type MessagingEndpoint } from '../wire.js';
import { ConnectlyMessagingError, ConnectlyReplyIncompleteError } from './errors.js';
import { type WhatsAppMappingOptions, type WhatsAppReply, toWhatsAppMessages } from './outbound.js';
import type { MessageApiErrorBody, OutboundMessage } from './wire.js';

export interface ConnectlyMessagingClientOptions {
  /** The business's general Connectly API key, sent as `X-API-Key`. Never logged, never in an error. */
  apiKey: string;
  businessId: string;
  /** Default `https://api.connectly.ai`. */
  baseUrl?: string;
  /** Longest wait for a whole answer, in ms. Default 30 000; 0 disables. */
  timeoutMs?: number;
  /** How many times a request that provably was not processed is tried again. Default 2. */
  maxRetries?: number;
  /** First backoff delay in ms, doubled on each retry (with jitter). Default 500. */
  retryBaseDelayMs?: number;
  /** A `Retry-After` longer than this (ms) is not waited for: the error is raised with `retryAfterMs`. Default 30 000. */
  maxRetryDelayMs?: number;
  /** Replaces the platform `fetch`. */
  fetch?: FetchLike;
  /** True when that `fetch` adds the API key itself: no `x-api-key` header is sent (see `ConnectlyClientOptions`). */
  fetchAddsApiKey?: boolean;
  userAgent?: string;
  /** The timers behind the time limit and retry back-off; default: the runtime's own. */
  scheduler?: Scheduler;
}

export interface MessagingCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The customer: an E.164 number (or BSUID) string, or the documented recipient object. */
export type Recipient = string | { id: string; channelType?: 'whatsapp'; name?: string };

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
}

export interface SendReplyOptions extends MessagingCallOptions {
  mapping?: WhatsAppMappingOptions;
  callbackData?: unknown;
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

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'apiKey',
  'businessId',
  'baseUrl',
  'timeoutMs',
  'maxRetries',
  'retryBaseDelayMs',
  'maxRetryDelayMs',
  'fetch',
  'fetchAddsApiKey',
  'userAgent',
  'scheduler',
]);
// Marks the end of a call, so nothing still open (a body being read) outlives it.
const DONE = Symbol('done');
// Message API answers are a few bytes (`{"id": …}`, a webhook list): anything past this is not one.
const MAX_ANSWER_CHARS = 1024 * 1024;

function recipientOf(to: Recipient): { id: string; channelType: 'whatsapp'; name?: string } {
  const value = typeof to === 'string' ? { id: to } : to;
  if (typeof value !== 'object' || value === null) {
    throw new ConnectlyValidationError('to', '`to` is required: the customer number in E.164 form, e.g. +15551234567');
  }
  const id = requireString(value.id, 'to', 'the customer number in E.164 form, e.g. +15551234567');
  return { ...value, id, channelType: 'whatsapp' };
}

function checkCallbackData(value: unknown): void {
  if (value === undefined) return;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) {
    throw new ConnectlyValidationError(
      'callbackData',
      '`callbackData` must be a JSON value (no cycles, BigInt or functions)',
    );
  }
  const size = new TextEncoder().encode(json).length;
  if (size > 1024) {
    throw new ConnectlyValidationError(
      'callbackData',
      `\`callbackData\` is ${size} bytes as JSON; Connectly takes at most 1024`,
    );
  }
}

/** The documented rules a message must meet, checked before anything is sent. */
function checkMessage(message: OutboundMessage): void {
  if (typeof message !== 'object' || message === null) {
    throw new ConnectlyValidationError('message', '`message` is required, e.g. { text: "Hello!" }');
  }
  const kinds = MESSAGE_CONTENT_KINDS.filter((kind) => message[kind] !== undefined);
  if (kinds.length > 1) {
    throw new ConnectlyValidationError(
      'message',
      `A message holds exactly one content kind, got ${kinds.join(' and ')}: send them as separate messages`,
    );
  }
  const kind = kinds[0];
  const text = message.text;
  if (kind === undefined && (typeof text !== 'string' || text.trim() === '')) {
    throw new ConnectlyValidationError(
      'message.text',
      '`message.text` is empty: WhatsApp does not send empty messages',
    );
  }
  if (kind === 'attachments' && message.attachments?.length !== 1) {
    throw new ConnectlyValidationError(
      'message.attachments',
      'A message carries exactly one attachment: send several as separate messages',
    );
  }
  if ((kind === 'attachments' || kind === 'location') && text !== undefined) {
    throw new ConnectlyValidationError(
      'message.text',
      `\`text\` cannot go with ${kind}: use the attachment caption, or send the text separately`,
    );
  }
  if ((kind === 'listMessage' || kind === 'replyButtonMessage' || kind === 'multiProductMessage') && !text) {
    throw new ConnectlyValidationError('message.text', `A ${kind} needs a body: set \`message.text\``);
  }
  const buttons = message.replyButtonMessage?.buttons;
  if (kind === 'replyButtonMessage' && (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3)) {
    throw new ConnectlyValidationError('message.replyButtonMessage.buttons', 'WhatsApp takes 1 to 3 reply buttons');
  }
}

export class ConnectlyMessagingClient {
  readonly baseUrl: string;
  readonly businessId: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly userAgent: string;
  readonly #apiKey: string;
  readonly #sendApiKey: boolean;
  readonly #fetch: FetchLike;
  readonly #context: CallContext;
  readonly #callDefaults: CallDefaults;

  constructor(options: ConnectlyMessagingClientOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ConnectlyValidationError(
        'options',
        'ConnectlyMessagingClient needs an options object: { apiKey, businessId }',
      );
    }
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.has(name)) {
        throw new ConnectlyValidationError(
          name,
          `Unknown option \`${name}\`: ConnectlyMessagingClient takes ${[...OPTION_NAMES].join(', ')}`,
        );
      }
    }
    // The same rules as the agent client's options; only the default time limit differs.
    const resolved = resolveOptions({ ...options, timeoutMs: options.timeoutMs ?? 30_000 });
    this.#apiKey = resolved.apiKey;
    this.#sendApiKey = resolved.sendApiKey;
    this.businessId = resolved.businessId;
    this.baseUrl = resolved.baseUrl;
    this.timeoutMs = resolved.timeoutMs;
    this.maxRetries = resolved.maxRetries;
    this.retryBaseDelayMs = resolved.retryBaseDelayMs;
    this.maxRetryDelayMs = resolved.maxRetryDelayMs;
    this.userAgent = resolved.userAgent;
    this.#fetch = resolved.fetch;
    this.#context = { scheduler: resolved.scheduler, host: new URL(resolved.baseUrl).host, sanitize: this.sanitize };
    this.#callDefaults = { timeoutMs: this.timeoutMs, idleTimeoutMs: 0, fetchLimitMs: resolved.fetchLimitMs };
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
      apiKey: '[redacted]',
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

  // ---- the request pipeline ----

  private readonly sanitize = (text: string): string => redact(text, this.#apiKey);

  private idOf(endpoint: MessagingEndpoint, value: unknown): { id: string } {
    const id = (value as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') {
      const shown = safeExcerpt(printable(value), this.sanitize, 80);
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
    // Message API answers are unary: `timeoutMs` covers the whole answer, there is no idle limit.
    const settings = resolveCallSettings(options, this.#callDefaults);
    const call = new Call(endpoint, { ...settings, idleTimeoutMs: 0 }, this.#context);
    const onCallerAbort = (): void => call.controller.abort(new ConnectlyAbortError(endpoint));
    if (options?.signal?.aborted) onCallerAbort();
    else options?.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-encoding': 'identity',
      'user-agent': this.userAgent,
    };
    if (this.#sendApiKey) headers['x-api-key'] = this.#apiKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.baseUrl}/v1/businesses/${encodeURIComponent(this.businessId)}/${path}`;
    try {
      const response = await sendWithRetries(call, url, {
        fetch: this.#fetch,
        policy: this,
        request: { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) },
        refuse: (status, text, retryAfterMs) =>
          new ConnectlyMessagingError({ endpoint, status, body: this.errorBody(text, status), retryAfterMs }),
      });
      return this.parse(endpoint, await call.readAnswer(response, MAX_ANSWER_CHARS));
    } catch (error) {
      throw call.classify(error);
    } finally {
      options?.signal?.removeEventListener('abort', onCallerAbort);
      if (!call.signal.aborted) call.controller.abort(DONE); // releases anything still open
    }
  }

  private parse(endpoint: MessagingEndpoint, text: string): unknown {
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ConnectlyProtocolError({
        reason: 'malformed-body',
        preview: safeExcerpt(text, this.sanitize),
        message: `The ${endpoint} response is not JSON: "${safeExcerpt(text, this.sanitize, 80)}"`,
      });
    }
  }

  // The same reading as the agent client's: server text without the key, the message cut short,
  // details copied with the key removed from every decoded string and cut where they nest too deep.
  private errorBody(text: string, status: number): MessageApiErrorBody {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const body = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    const str = (key: string): string | undefined =>
      typeof body[key] === 'string' ? serverText(body[key] as string, this.sanitize) : undefined;
    return {
      message: str('message') ?? notAnErrorBody(text, status, this.sanitize),
      type: str('type'),
      code: str('code'),
      userTitle: str('userTitle'),
      cntTraceId: str('cntTraceId'),
      details: body.details === undefined ? undefined : serverDetails(body.details, this.sanitize),
    };
  }
}
