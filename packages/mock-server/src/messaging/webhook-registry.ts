// The webhook registry: at most one registration per business and topic, created, listed, updated and
// deleted as the Webhook API does, and the secret that signs each business's deliveries.

import { MessagingFailure, invalid, notFound } from './errors.js';
import { MESSAGING_DEFAULTS, type MockWebhook } from './types.js';
import { ulid } from './ulid.js';
import { checkAddress, isObject } from './validate.js';

const TOPICS = new Set(['messages', 'delivery_status', 'report']);
const WEBHOOK_TYPES = new Set(['custom', 'zapier', 'webengage', 'integromat_make']);

export interface RegistryOptions {
  webhookSecret?: string;
  replaceOnCreate?: boolean;
  now: () => number;
}

export class WebhookRegistry {
  readonly webhooks = new Map<string, MockWebhook>();
  private readonly secrets = new Map<string, string>();

  constructor(private readonly options: RegistryOptions) {}

  setSecret(businessId: string, secret: string): void {
    this.secrets.set(businessId, secret);
  }

  secretOf(businessId: string): string {
    return this.secrets.get(businessId) ?? this.options.webhookSecret ?? MESSAGING_DEFAULTS.webhookSecret;
  }

  registration(businessId: string, topic: string): MockWebhook | undefined {
    return [...this.webhooks.values()].find((hook) => hook.businessId === businessId && hook.topic === topic);
  }

  /** The businesses that have at least one webhook. */
  businesses(): Set<string> {
    return new Set([...this.webhooks.values()].map((hook) => hook.businessId));
  }

  list(businessId: string): Array<Pick<MockWebhook, 'id' | 'topic' | 'address' | 'configuration'>> {
    return [...this.webhooks.values()]
      .filter((hook) => hook.businessId === businessId)
      .map(({ id, topic, address, configuration }) => ({ id, topic, address, configuration }));
  }

  /** Registers a webhook; returns its id. */
  create(businessId: string, body: unknown): string {
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
    const id = ulid(this.options.now());
    this.webhooks.set(id, { id, businessId, topic, address, type, configuration });
    return id;
  }

  update(businessId: string, webhookId: string, body: unknown): void {
    const webhook = this.webhookOf(businessId, webhookId);
    if (!isObject(body)) throw invalid('the request body must be a JSON object with address and/or configuration');
    if (body.topic !== undefined && body.topic !== webhook.topic) {
      throw invalid('the topic of a webhook cannot change: delete it and create a new one');
    }
    if (body.address !== undefined) webhook.address = checkAddress(body.address);
    if (body.configuration !== undefined) {
      webhook.configuration = { ...webhook.configuration, ...checkConfiguration(body.configuration, false) };
    }
  }

  delete(businessId: string, webhookId: string): void {
    this.webhookOf(businessId, webhookId);
    this.webhooks.delete(webhookId);
  }

  private webhookOf(businessId: string, webhookId: string): MockWebhook {
    const webhook = this.webhooks.get(webhookId);
    if (!webhook || webhook.businessId !== businessId) throw notFound(`webhook ${webhookId} not found`);
    return webhook;
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
