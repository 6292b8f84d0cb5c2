// Signed webhook deliveries, as Connectly makes them: the raw JSON body as text/plain, its HMAC-SHA256
// in x-connectly-hmac-sha256, and redelivery with backoff until the receiver answers 200.

import { createHmac } from 'node:crypto';

/** Connectly's sender is a Go service using go-resty; receivers see this user agent. */
export const DELIVERY_USER_AGENT = 'go-resty/2.6.0 (https://github.com/go-resty/resty)';
export const SIGNATURE_HEADER = 'x-connectly-hmac-sha256';
// connectly-messaging.md decisions: 5 attempts, 1 s, 2 s, 4 s, 8 s apart, 10 s per request.
const BACKOFF_MS = [1000, 2000, 4000, 8000];
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Base64 HMAC-SHA256 of the exact body bytes. */
export function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

export interface DeliveryAttempt {
  /** The receiver's HTTP status; undefined when the request failed (refused, timed out, reset). */
  status: number | undefined;
  /** Why the request failed, when it did. */
  error?: string;
}

export interface WebhookDelivery {
  webhookId: string;
  topic: string;
  address: string;
  /** The exact body sent, on every attempt. */
  body: string;
  signature: string;
  attempts: DeliveryAttempt[];
  outcome: 'pending' | 'delivered' | 'failed';
  /** Resolves once the delivery succeeded or ran out of attempts. */
  settled: Promise<WebhookDelivery>;
}

export interface DeliveryOptions {
  /** Multiplies the backoff delays (e.g. 0.001 in tests). Default 1. */
  timeScale: number;
  /** How long one attempt may take before it counts as failed. Default 10 000. */
  timeoutMs: number;
  /** Counts any 2xx as received instead of exactly 200. */
  anySuccess: boolean;
}

/** Sends deliveries and keeps their history; `stop()` cancels pending retries and in-flight requests. */
export class Deliverer {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly controller = new AbortController();

  constructor(
    private readonly options: DeliveryOptions,
    private readonly onSettled: (delivery: WebhookDelivery) => void,
  ) {}

  deliver(
    target: { webhookId: string; topic: string; address: string },
    payload: unknown,
    secret: string,
  ): WebhookDelivery {
    const body = JSON.stringify(payload);
    return this.send({ ...target, body, signature: sign(body, secret) });
  }

  /** Sends a recorded delivery again, byte for byte (what Connectly does on a retry). */
  redeliver(previous: WebhookDelivery): WebhookDelivery {
    return this.send({
      webhookId: previous.webhookId,
      topic: previous.topic,
      address: previous.address,
      body: previous.body,
      signature: previous.signature,
    });
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.controller.abort();
  }

  private send(init: Omit<WebhookDelivery, 'attempts' | 'outcome' | 'settled'>): WebhookDelivery {
    const delivery = { ...init, attempts: [], outcome: 'pending' } as unknown as WebhookDelivery;
    delivery.settled = this.run(delivery);
    this.deliveries.push(delivery);
    return delivery;
  }

  private async run(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    for (let attempt = 0; attempt <= BACKOFF_MS.length; attempt += 1) {
      if (attempt > 0 && !(await this.wait((BACKOFF_MS[attempt - 1] as number) * this.options.timeScale))) break;
      const result = await this.attempt(delivery);
      delivery.attempts.push(result);
      const status = result.status ?? 0;
      if (status === 200 || (this.options.anySuccess && status >= 200 && status < 300)) {
        delivery.outcome = 'delivered';
        this.onSettled(delivery);
        return delivery;
      }
      if (this.controller.signal.aborted) break;
    }
    delivery.outcome = 'failed';
    this.onSettled(delivery);
    return delivery;
  }

  private async attempt(delivery: WebhookDelivery): Promise<DeliveryAttempt> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await fetch(delivery.address, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          [SIGNATURE_HEADER]: delivery.signature,
          'user-agent': DELIVERY_USER_AGENT,
        },
        body: delivery.body,
        signal: AbortSignal.any([timeout, this.controller.signal]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { status: response.status };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { status: undefined, error: cause?.code ?? (error as Error).name };
    }
  }

  private wait(ms: number): Promise<boolean> {
    if (this.controller.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.controller.signal.aborted);
      }, ms);
      this.timers.add(timer);
      this.controller.signal.addEventListener('abort', () => resolve(false), { once: true });
    });
  }
}
