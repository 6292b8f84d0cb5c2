// The messaging side of the mock: the webhook registry, signed deliveries, the send endpoints with the
// 24-hour window and the rate limit, and the record of what the business sent to each customer.

import { EventEmitter } from 'node:events';
import { MockCustomer } from './customer.js';
import { type ChaosOptions, DELIVERY_TIMEOUT_MS, Deliverer, type WebhookDelivery } from './deliveries.js';
import { MessagingFailure, invalid } from './errors.js';
import { keepNewest } from '../records.js';
import { ulid } from './ulid.js';
import { checkAddress, checkSessionSend, checkTemplateSend, isObject } from './validate.js';

export const MESSAGING_PATH = '/v1/businesses/';
export const ADMIN_PATH = '/__mock/businesses/';
const TOPICS = new Set(['messages', 'delivery_status', 'report']);
const WEBHOOK_TYPES = new Set(['custom', 'zapier', 'webengage', 'integromat_make']);
const DAY_MS = 24 * 60 * 60 * 1000;

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
  /** Chaos mode: deliveries duplicated and reordered (Connectly guarantees neither), seeded to replay. */
  chaos?: ChaosOptions | boolean;
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

/** Events: `'sent'` (SentMessage), `'delivery'` (WebhookDelivery, once settled). */
export class MockMessaging extends EventEmitter {
  readonly webhooks = new Map<string, MockWebhook>();
  readonly sent: SentMessage[] = [];
  readonly businessPhone: string;
  private readonly deliverer: Deliverer;
  private readonly secrets = new Map<string, string>();
  private readonly lastInbound = new Map<string, number>();
  private readonly optedOut = new Set<string>();
  private readonly rate = new Map<string, { second: number; count: number }>();
  private readonly sendFaults: MessagingFailure[] = [];
  /** The mock's clock. */
  readonly now: () => number;

  constructor(
    private readonly options: MockMessagingOptions = {},
    private readonly apiKey?: string,
    readonly defaultBusinessId?: string,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.businessPhone = options.businessPhone ?? '+15550100000';
    this.deliverer = new Deliverer(
      {
        timeScale: options.timeScale ?? 1,
        timeoutMs: options.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS,
        anySuccess: options.anySuccess ?? false,
        ...(options.maxRecords === undefined ? {} : { maxRecords: options.maxRecords }),
        ...(options.chaos ? { chaos: options.chaos === true ? {} : options.chaos } : {}),
      },
      (delivery) => this.emit('delivery', delivery),
    );
  }

  /** Every delivery made so far, in order. */
  get deliveries(): readonly WebhookDelivery[] {
    return this.deliverer.deliveries;
  }

  /**
   * A scripted customer of `businessId` (default: the mock's business, else the one with a messages
   * webhook). `phone` may be a BSUID (a customer whose number is hidden); `userId` gives a customer with
   * a number its BSUID too. BSUIDs need the `bsuid` option.
   */
  customer(phone: string, options: { businessId?: string; name?: string; userId?: string } = {}): MockCustomer {
    return new MockCustomer(
      this,
      options.businessId ?? this.guessBusiness(),
      phone,
      options.name ?? 'Mock Customer',
      options.userId,
    );
  }

  /** Whether business-scoped user ids are on. */
  get bsuid(): boolean {
    return this.options.bsuid ?? false;
  }

  setWebhookSecret(businessId: string, secret: string): void {
    this.secrets.set(businessId, secret);
  }

  secretOf(businessId: string): string {
    return this.secrets.get(businessId) ?? this.options.webhookSecret ?? 'mock-webhook-secret';
  }

  /** The next send (session or template) fails with this error instead of being sent. */
  failNextSend(failure: { code: string; message?: string; status?: number; retryAfter?: number }): void {
    this.sendFaults.push(new MessagingFailure({ ...failure, message: failure.message ?? `injected ${failure.code}` }));
  }

  /** Resends a recorded delivery byte for byte, signature included. */
  redeliver(delivery: WebhookDelivery): WebhookDelivery {
    return this.deliverer.redeliver(delivery);
  }

  stop(): void {
    this.deliverer.stop();
  }

  // ---- used by MockCustomer ----

  /** Delivers an event to the business's webhook for `topic`; undefined when none is registered. */
  deliver(businessId: string, topic: string, payload: unknown): WebhookDelivery | undefined {
    const webhook = this.registration(businessId, topic);
    if (!webhook) return undefined;
    return this.deliverer.deliver(
      { webhookId: webhook.id, topic, address: webhook.address },
      payload,
      this.secretOf(businessId),
    );
  }

  registration(businessId: string, topic: string): MockWebhook | undefined {
    return [...this.webhooks.values()].find((hook) => hook.businessId === businessId && hook.topic === topic);
  }

  noteInbound(businessId: string, phone: string, at = this.now()): void {
    this.lastInbound.set(`${businessId} ${phone}`, at);
  }

  lastInboundAt(businessId: string, phone: string): number | undefined {
    return this.lastInbound.get(`${businessId} ${phone}`);
  }

  optOut(businessId: string, phone: string): void {
    this.optedOut.add(`${businessId} ${phone}`);
  }

  // ---- HTTP ----

  owns(pathname: string): boolean {
    return pathname.startsWith(MESSAGING_PATH) || pathname.startsWith(ADMIN_PATH);
  }

  async handle(
    method: string,
    pathname: string,
    headers: Record<string, unknown>,
    raw: string,
  ): Promise<MessagingResponse> {
    try {
      return (await this.admin(method, pathname, raw)) ?? this.route(method, pathname, headers, raw);
    } catch (error) {
      const failure =
        error instanceof MessagingFailure
          ? error
          : new MessagingFailure({ code: 'ERROR_CODE_UNSPECIFIED', status: 500, message: (error as Error).message });
      const extra: Record<string, string> =
        failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
      return { status: failure.status, headers: extra, body: failure.body() };
    }
  }

  // Test controls for other processes: the webhook secret, and the scripted customer over HTTP.
  private async admin(method: string, pathname: string, raw: string): Promise<MessagingResponse | undefined> {
    if (!pathname.startsWith(ADMIN_PATH)) return undefined;
    const secret = pathname.match(/^\/__mock\/businesses\/([^/]+)\/webhook-secret$/);
    if (secret && method === 'POST') {
      const value = (parse(raw) as { secret?: unknown }).secret;
      if (typeof value !== 'string' || value.length === 0) throw invalid('send {"secret": "…"}');
      this.setWebhookSecret(decodeURIComponent(secret[1] as string), value);
      return { status: 200, body: {} };
    }
    const customer = pathname.match(/^\/__mock\/businesses\/([^/]+)\/customers\/([^/]+)\/messages$/);
    if (customer) {
      const [businessId, phone] = [
        decodeURIComponent(customer[1] as string),
        decodeURIComponent(customer[2] as string),
      ];
      let scripted;
      try {
        scripted = this.customer(phone, { businessId });
      } catch (error) {
        throw invalid((error as Error).message);
      }
      if (method === 'GET') return { status: 200, body: { messages: scripted.received } };
      if (method === 'POST') {
        const text = (parse(raw) as { text?: unknown }).text;
        if (typeof text !== 'string' || text.length === 0) throw invalid('send {"text": "what the customer says"}');
        let delivery;
        try {
          delivery = await scripted.says(text);
        } catch (error) {
          throw invalid((error as Error).message);
        }
        return { status: 200, body: { outcome: delivery.outcome, attempts: delivery.attempts } };
      }
    }
    throw notFound(`no route for ${method} ${pathname}`);
  }

  private route(method: string, pathname: string, headers: Record<string, unknown>, raw: string): MessagingResponse {
    const match = pathname.match(/^\/v1\/businesses\/([^/]+)\/(.+)$/);
    if (!match) throw notFound(`no route for ${method} ${pathname}`);
    const businessId = decodeURIComponent(match[1] as string);
    const rest = match[2] as string;
    this.authorize(headers, businessId);
    const byId = rest.match(/^(update|delete)\/webhooks\/([^/]+)$/);
    const route = `${method} ${byId ? `${byId[1]}/webhooks/:id` : rest}`;
    const webhookId = decodeURIComponent(byId?.[2] ?? '');
    switch (route) {
      case 'POST create/webhooks':
        return this.createWebhook(businessId, parse(raw));
      case 'GET webhooks':
        return {
          status: 200,
          body: {
            entity: {
              businessId,
              webhooks: [...this.webhooks.values()]
                .filter((hook) => hook.businessId === businessId)
                .map(({ id, topic, address, configuration }) => ({ id, topic, address, configuration })),
            },
          },
        };
      case 'PUT update/webhooks/:id':
        return this.updateWebhook(businessId, webhookId, parse(raw));
      case 'DELETE delete/webhooks/:id': {
        this.webhookOf(businessId, webhookId);
        this.webhooks.delete(webhookId);
        return { status: 200, body: {} };
      }
      case 'POST send/messages':
        return this.sendSession(businessId, parse(raw));
      case 'POST send/whatsapp_templated_messages':
        return this.sendTemplate(businessId, parse(raw));
      default:
        throw notFound(`no route for ${method} ${pathname}`);
    }
  }

  private authorize(headers: Record<string, unknown>, businessId: string): void {
    const key = headers['x-api-key'];
    if (typeof key !== 'string' || key.length === 0 || (this.apiKey !== undefined && key !== this.apiKey)) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_UNSPECIFIED',
        status: 401,
        type: 'ERROR_TYPE_UNAUTHENTICATED',
        message:
          typeof key === 'string' && key ? 'invalid API key' : 'missing API key: send it in the X-API-Key header',
      });
    }
    if (this.defaultBusinessId !== undefined && businessId !== this.defaultBusinessId) {
      throw notFound(`business ${businessId} not found`);
    }
  }

  private createWebhook(businessId: string, body: unknown): MessagingResponse {
    if (!isObject(body)) throw invalid('the request body must be a JSON object with topic and address');
    const topic = body.topic;
    if (typeof topic !== 'string' || !TOPICS.has(topic)) {
      throw invalid(`topic must be one of messages, delivery_status, report; got ${JSON.stringify(topic)}`);
    }
    const address = checkAddress(body.address);
    const type = body.type ?? 'custom';
    if (typeof type !== 'string' || !WEBHOOK_TYPES.has(type)) {
      throw invalid(`type must be one of ${[...WEBHOOK_TYPES].join(', ')}`);
    }
    const configuration = checkConfiguration(body.configuration ?? {});
    const existing = this.registration(businessId, topic);
    if (existing && !this.options.replaceOnCreate) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_UNSPECIFIED',
        status: 409,
        type: 'ERROR_TYPE_ALREADY_EXISTS',
        message: `a webhook for topic ${topic} already exists (${existing.id}): update it instead`,
      });
    }
    if (existing) this.webhooks.delete(existing.id);
    const id = ulid(this.now());
    this.webhooks.set(id, { id, businessId, topic, address, type, configuration });
    return { status: 200, body: { id } };
  }

  private updateWebhook(businessId: string, webhookId: string, body: unknown): MessagingResponse {
    const webhook = this.webhookOf(businessId, webhookId);
    if (!isObject(body)) throw invalid('the request body must be a JSON object with address and/or configuration');
    if (body.topic !== undefined && body.topic !== webhook.topic) {
      throw invalid('the topic of a webhook cannot change: delete it and create a new one');
    }
    if (body.address !== undefined) webhook.address = checkAddress(body.address);
    if (body.configuration !== undefined) {
      webhook.configuration = { ...webhook.configuration, ...checkConfiguration(body.configuration, false) };
    }
    return { status: 200, body: {} };
  }

  private webhookOf(businessId: string, webhookId: string): MockWebhook {
    const webhook = this.webhooks.get(webhookId);
    if (!webhook || webhook.businessId !== businessId) throw notFound(`webhook ${webhookId} not found`);
    return webhook;
  }

  private takeSendFault(businessId: string): void {
    const fault = this.sendFaults.shift();
    if (fault) throw fault;
    const second = Math.floor(this.now() / 1000);
    const window = this.rate.get(businessId);
    const count = window?.second === second ? window.count + 1 : 1;
    this.rate.set(businessId, { second, count });
    if (count > (this.options.rateLimitPerSecond ?? 200)) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_UNSPECIFIED',
        status: 429,
        type: 'ERROR_TYPE_RATE_LIMITED',
        retryAfter: 1,
        message: `more than ${this.options.rateLimitPerSecond ?? 200} sends per second for this business`,
      });
    }
  }

  private sendSession(businessId: string, body: unknown): MessagingResponse {
    this.takeSendFault(businessId);
    const send = checkSessionSend(body, this.options.bsuid ?? false);
    const to = send.recipient.id;
    const last = this.lastInboundAt(businessId, to);
    if (last === undefined) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION',
        message: `${to} has never written to this business: send a template message first`,
      });
    }
    if (this.now() - last > DAY_MS) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW',
        message: 'Failed to send a message because more than 24 hours have passed since the customer last replied',
      });
    }
    return this.record(businessId, 'session', to, send.message, send.callbackData, send.campaignName);
  }

  private sendTemplate(businessId: string, body: unknown): MessagingResponse {
    this.takeSendFault(businessId);
    const send = checkTemplateSend(body, this.options.bsuid ?? false);
    const templates = this.options.templates ?? [
      { name: 'hello_world', language: 'en' },
      { name: 'order_update', language: 'en', parameters: ['body_1'] },
    ];
    const template = templates.find((t) => t.name === send.templateName && t.language === send.language);
    if (!template) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND',
        message: `no approved template ${send.templateName} in language ${send.language}`,
      });
    }
    const given = new Set(send.parameters.map((p) => p.name));
    const missing = (template.parameters ?? []).filter((name) => !given.has(name));
    const unknown = [...given].filter((name) => !(template.parameters ?? []).includes(name));
    if (missing.length || unknown.length) {
      throw invalid(
        `template ${template.name} takes parameters [${(template.parameters ?? []).join(', ')}]` +
          (missing.length ? `; missing ${missing.join(', ')}` : '') +
          (unknown.length ? `; unknown ${unknown.join(', ')}` : ''),
        'ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID',
      );
    }
    if (this.optedOut.has(`${businessId} ${send.number}`)) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT',
        message: `${send.number} opted out of template messages`,
      });
    }
    const { callbackData, ...message } = send;
    return this.record(businessId, 'template', send.number, message, callbackData, send.campaignName);
  }

  private record(
    businessId: string,
    kind: SentMessage['kind'],
    to: string,
    message: Record<string, unknown>,
    callbackData: unknown,
    campaignName: string | undefined,
  ): MessagingResponse {
    const sent: SentMessage = {
      id: ulid(this.now()),
      businessId,
      kind,
      to,
      message,
      callbackData,
      campaignName,
      at: this.now(),
    };
    this.sent.push(sent);
    keepNewest(this.sent, this.options.maxRecords);
    this.emit('sent', sent);
    this.afterSend(sent);
    return { status: 200, body: { id: sent.id } };
  }

  // What Connectly does once a message is accepted: delivery statuses, and the echo when asked for.
  // Sent one after the other so that a receiver sees them in a stable order.
  private afterSend(sent: SentMessage): void {
    const business = { id: this.businessPhone, channelType: 'whatsapp' };
    const customer = { id: sent.to, channelType: 'whatsapp' };
    const timestamp = String(Math.floor(sent.at / 1000));
    const withCallback = sent.callbackData === undefined ? {} : { callbackData: sent.callbackData };
    const events: Array<[string, unknown]> = [];
    if (this.registration(sent.businessId, 'messages')?.configuration.echo === true && sent.kind === 'session') {
      events.push([
        'messages',
        {
          timestamp,
          sender: business,
          recipient: customer,
          message: { ...sent.message, isEcho: true },
          ...withCallback,
        },
      ]);
    }
    const statusHook = this.registration(sent.businessId, 'delivery_status');
    const wanted = statusHook === undefined || campaignMatches(statusHook.configuration.filters, sent.campaignName);
    for (const status of wanted ? ['sent', 'delivered'] : []) {
      events.push([
        'delivery_status',
        {
          topic: 'delivery_status',
          timestamp,
          sender: business,
          recipient: customer,
          statusUpdate: { id: sent.id, status, error: null },
          metadata: sent.campaignName === undefined ? null : { campaign_name: sent.campaignName },
          ...withCallback,
        },
      ]);
    }
    void (async () => {
      for (const [topic, payload] of events) await this.deliver(sent.businessId, topic, payload)?.settled;
    })();
  }

  private guessBusiness(): string {
    if (this.defaultBusinessId !== undefined) return this.defaultBusinessId;
    const registered = new Set([...this.webhooks.values()].map((hook) => hook.businessId));
    if (registered.size === 1) return [...registered][0] as string;
    throw new Error(
      registered.size === 0
        ? 'mock.customer(): no business has a webhook yet; register one, or pass { businessId }'
        : 'mock.customer(): several businesses have webhooks; pass { businessId }',
    );
  }
}

function checkConfiguration(value: unknown, withDefaults = true): Record<string, unknown> {
  if (!isObject(value)) throw invalid('configuration must be an object: { echo?, channelTypes?, filters? }');
  if (value.echo !== undefined && typeof value.echo !== 'boolean')
    throw invalid('configuration.echo must be true or false');
  if (value.channelTypes !== undefined && !Array.isArray(value.channelTypes)) {
    throw invalid('configuration.channelTypes must be a list such as ["whatsapp"]');
  }
  if (value.filters !== undefined && !Array.isArray(value.filters)) {
    throw invalid('configuration.filters must be a list of {field, expression}');
  }
  return withDefaults ? { echo: false, channelTypes: ['whatsapp'], filters: [], ...value } : value;
}

// The only documented filter: `campaign_name` with `*` wildcards; a send without a campaign never matches one.
function campaignMatches(filters: unknown, campaignName: string | undefined): boolean {
  const rules = (Array.isArray(filters) ? filters : []).filter(
    (rule): rule is { field: string; expression: string } =>
      isObject(rule) && rule.field === 'campaign_name' && typeof rule.expression === 'string',
  );
  if (rules.length === 0) return true;
  if (campaignName === undefined) return false;
  return rules.some((rule) => globMatches(rule.expression, campaignName));
}

// `*` matches any run of characters. Each literal piece is looked for once, leftmost, left to right, with
// no backtracking: a regular expression built from `*a*a*…*b` takes exponential time on a long name.
function globMatches(expression: string, name: string): boolean {
  const pieces = expression.split('*');
  const first = pieces[0] as string;
  if (pieces.length === 1) return name === expression;
  const last = pieces[pieces.length - 1] as string;
  if (first.length + last.length > name.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

function notFound(message: string): MessagingFailure {
  return new MessagingFailure({ code: 'ERROR_CODE_UNSPECIFIED', status: 404, type: 'ERROR_TYPE_NOT_FOUND', message });
}

function parse(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw invalid('the request body is not JSON');
  }
}
