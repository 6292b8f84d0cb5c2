// The messaging room of the mock server: the Message and Webhook APIs of one mock, and the controls a
// test holds over them (scripted customers, injected send failures, redeliveries). It wires the webhook
// registry, the outbox, the deliverer and the routes together and keeps none of their rules itself.

import { EventEmitter } from 'node:events';
import { MockCustomer } from './customer.js';
import { DELIVERY_TIMEOUT_MS, Deliverer, type WebhookDelivery } from './deliveries.js';
import { MessagingFailure } from './errors.js';
import { followUps } from './follow-ups.js';
import { Outbox } from './outbox.js';
import { MessagingRoutes, ownsPath } from './routes.js';
import {
  MESSAGING_DEFAULTS,
  type MessagingResponse,
  type MockMessagingOptions,
  type MockWebhook,
  type SentMessage,
} from './types.js';
import { WebhookRegistry } from './webhook-registry.js';

/** Events: `'sent'` (SentMessage), `'delivery'` (WebhookDelivery, once settled). */
export class MockMessaging extends EventEmitter {
  readonly webhooks: Map<string, MockWebhook>;
  readonly sent: SentMessage[];
  readonly businessPhone: string;
  /** The mock's clock. */
  readonly now: () => number;
  private readonly registry: WebhookRegistry;
  private readonly outbox: Outbox;
  private readonly deliverer: Deliverer;
  private readonly routes: MessagingRoutes;

  constructor(
    private readonly options: MockMessagingOptions = {},
    apiKey?: string,
    readonly defaultBusinessId?: string,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.businessPhone = options.businessPhone ?? MESSAGING_DEFAULTS.businessPhone;
    this.registry = new WebhookRegistry({ ...options, now: this.now });
    this.webhooks = this.registry.webhooks;
    this.outbox = new Outbox({ ...options, now: this.now }, (sent) => {
      this.emit('sent', sent);
      this.afterSend(sent);
    });
    this.sent = this.outbox.sent;
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
    this.routes = new MessagingRoutes({
      registry: this.registry,
      outbox: this.outbox,
      customer: (phone, businessId) => this.customer(phone, { businessId }),
      apiKey,
      businessId: defaultBusinessId,
    });
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
    this.registry.setSecret(businessId, secret);
  }

  secretOf(businessId: string): string {
    return this.registry.secretOf(businessId);
  }

  /** The next send (session or template) fails with this error instead of being sent. */
  failNextSend(failure: { code: string; message?: string; status?: number; retryAfter?: number }): void {
    this.outbox.failNext(new MessagingFailure({ ...failure, message: failure.message ?? `injected ${failure.code}` }));
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
    return this.registry.registration(businessId, topic);
  }

  noteInbound(businessId: string, phone: string, at = this.now()): void {
    this.outbox.noteInbound(businessId, phone, at);
  }

  lastInboundAt(businessId: string, phone: string): number | undefined {
    return this.outbox.lastInboundAt(businessId, phone);
  }

  optOut(businessId: string, phone: string): void {
    this.outbox.optOut(businessId, phone);
  }

  // ---- HTTP ----

  owns(pathname: string): boolean {
    return ownsPath(pathname);
  }

  handle(method: string, pathname: string, headers: Record<string, unknown>, raw: string): Promise<MessagingResponse> {
    return this.routes.answer(method, pathname, headers, raw);
  }

  // What Connectly does once a message is accepted, delivered one after the other so that a receiver
  // sees them in a stable order.
  private afterSend(sent: SentMessage): void {
    const events = followUps(
      sent,
      this.businessPhone,
      (businessId, topic) => this.registration(businessId, topic),
      this.options.echoCallbackData ?? true,
    );
    void (async () => {
      for (const [topic, payload] of events) await this.deliver(sent.businessId, topic, payload)?.settled;
    })();
  }

  private guessBusiness(): string {
    if (this.defaultBusinessId !== undefined) return this.defaultBusinessId;
    const registered = this.registry.businesses();
    if (registered.size === 1) return [...registered][0] as string;
    throw new Error(
      registered.size === 0
        ? 'mock.customer(): no business has a webhook yet; register one, or pass { businessId }'
        : 'mock.customer(): several businesses have webhooks; pass { businessId }',
    );
  }
}
