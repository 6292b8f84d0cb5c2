// The messaging room's HTTP side: the Message and Webhook API routes below /v1/businesses/{businessId}/
// (after the API key), the test controls below /__mock/businesses/{businessId}/ for other processes, and
// every failure written as the Message API's error body.

import type { MessagingEndpoint } from 'connectly-agent-graph/wire';
import type { MockCustomer } from './customer.js';
import { MessagingFailure, invalid, notFound } from './errors.js';
import type { Outbox } from './outbox.js';
import type { MessagingResponse } from './types.js';
import type { WebhookRegistry } from './webhook-registry.js';

const MESSAGING_PATH = '/v1/businesses/';
const ADMIN_PATH = '/__mock/businesses/';

export interface RoutesContext {
  registry: WebhookRegistry;
  outbox: Outbox;
  /** A scripted customer of `businessId`; throws when it cannot be one. */
  customer: (phone: string, businessId: string) => MockCustomer;
  /** When set, only this API key is accepted. */
  apiKey: string | undefined;
  /** When set, every other business is not found. */
  businessId: string | undefined;
}

/** Whether the messaging room answers requests for this path. */
export function ownsPath(pathname: string): boolean {
  return pathname.startsWith(MESSAGING_PATH) || pathname.startsWith(ADMIN_PATH);
}

export class MessagingRoutes {
  constructor(private readonly context: RoutesContext) {}

  async answer(
    method: string,
    pathname: string,
    headers: Record<string, unknown>,
    raw: string,
  ): Promise<MessagingResponse> {
    try {
      return pathname.startsWith(ADMIN_PATH)
        ? await this.admin(method, pathname, raw)
        : this.api(method, pathname, headers, raw);
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
  private async admin(method: string, pathname: string, raw: string): Promise<MessagingResponse> {
    const [business, rest] = below(ADMIN_PATH, pathname) ?? [];
    if (business !== undefined && rest === 'webhook-secret' && method === 'POST') {
      const value = (parse(raw) as { secret?: unknown }).secret;
      if (typeof value !== 'string' || value.length === 0) throw invalid('send {"secret": "…"}');
      this.context.registry.setSecret(decodeURIComponent(business), value);
      return { status: 200, body: {} };
    }
    const phone = rest?.match(/^customers\/([^/]+)\/messages$/)?.[1];
    if (business !== undefined && phone !== undefined) {
      const [businessId, customerPhone] = [decodeURIComponent(business), decodeURIComponent(phone)];
      let scripted;
      try {
        scripted = this.context.customer(customerPhone, businessId);
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

  private api(method: string, pathname: string, headers: Record<string, unknown>, raw: string): MessagingResponse {
    const [business, rest] = below(MESSAGING_PATH, pathname) ?? [];
    if (business === undefined || rest === undefined) throw notFound(`no route for ${method} ${pathname}`);
    const businessId = decodeURIComponent(business);
    this.authorize(headers, businessId);
    const { registry, outbox } = this.context;
    const byId = rest.match(/^(update|delete)\/webhooks\/([^/]+)$/);
    // Typed as the wire's endpoint names, so that each case below is checked against them; any other
    // path matches no case.
    const endpoint = (byId ? `${byId[1]}/webhooks` : rest) as MessagingEndpoint;
    const webhookId = decodeURIComponent(byId?.[2] ?? '');
    switch (`${method} ${endpoint}` as const) {
      case 'POST create/webhooks':
        return { status: 200, body: { id: registry.create(businessId, parse(raw)) } };
      case 'GET webhooks':
        return { status: 200, body: { entity: { businessId, webhooks: registry.list(businessId) } } };
      case 'PUT update/webhooks':
        if (!byId) break;
        registry.update(businessId, webhookId, parse(raw));
        return { status: 200, body: {} };
      case 'DELETE delete/webhooks':
        if (!byId) break;
        registry.delete(businessId, webhookId);
        return { status: 200, body: {} };
      case 'POST send/messages':
        return outbox.sendSession(businessId, parse(raw));
      case 'POST send/whatsapp_templated_messages':
        return outbox.sendTemplate(businessId, parse(raw));
    }
    throw notFound(`no route for ${method} ${pathname}`);
  }

  private authorize(headers: Record<string, unknown>, businessId: string): void {
    const key = headers['x-api-key'];
    const { apiKey } = this.context;
    if (typeof key !== 'string' || key.length === 0 || (apiKey !== undefined && key !== apiKey)) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_UNSPECIFIED',
        status: 401,
        type: 'ERROR_TYPE_UNAUTHENTICATED',
        message:
          typeof key === 'string' && key ? 'invalid API key' : 'missing API key: send it in the X-API-Key header',
      });
    }
    if (this.context.businessId !== undefined && businessId !== this.context.businessId) {
      throw notFound(`business ${businessId} not found`);
    }
  }
}

/** `prefix` + `{business}/{rest}` → [business, rest], both still URI-encoded; undefined unless both are there. */
function below(prefix: string, pathname: string): [string, string] | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  const tail = pathname.slice(prefix.length);
  const slash = tail.indexOf('/');
  if (slash <= 0 || slash === tail.length - 1) return undefined;
  return [tail.slice(0, slash), tail.slice(slash + 1)];
}

function parse(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw invalid('the request body is not JSON');
  }
}
