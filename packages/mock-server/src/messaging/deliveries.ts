// Signed webhook deliveries, as Connectly makes them: the raw JSON body as text/plain, its HMAC-SHA256
// in x-connectly-hmac-sha256, and redelivery with backoff until the receiver answers 200.

import { createHmac } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { keepNewest } from '../plumbing/records.js';
import { seededRandom } from '../plumbing/seeded.js';
import { checkLostAnswerRate, loseAnswer, type DeliveryAttempt } from './chaos.js';

export type { DeliveryAttempt } from './chaos.js';

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
  /** Set on the extra copy the chaos mode sent of an earlier delivery. */
  duplicateOf?: WebhookDelivery;
}

export interface DeliveryOptions {
  /** Multiplies the backoff delays (e.g. 0.001 in tests). Default 1. */
  timeScale: number;
  /** How long one attempt may take before it counts as failed. Default 10 000. */
  timeoutMs: number;
  /** Counts any 2xx as received instead of exactly 200. */
  anySuccess: boolean;
  /** Duplicates and reorders deliveries, as Connectly is free to (it guarantees neither). */
  chaos?: ChaosOptions;
  /** Keep only this many of the newest deliveries in the history. Default: all. */
  maxRecords?: number;
}

/** What the chaos mode does to each delivery; the same seed gives the same duplicates and delays. */
export interface ChaosOptions {
  /** The share of deliveries sent twice, byte for byte (0 to 1). Default 0.3. */
  duplicateRate?: number;
  /** Each delivery (and duplicate) waits a random time up to this before its first attempt, so later ones may overtake it. Default 50 ms. */
  maxDelayMs?: number;
  /**
   * The share of successful attempts whose answer is treated as lost (as a timeout), so the delivery comes
   * again with the usual backoff although the receiver already took it (0 to 1). Default 0.
   */
  lostAnswerRate?: number;
  /** Seeds the random choices. Default 1. */
  seed?: number;
}

/** Sends deliveries and keeps their history; `stop()` cancels pending retries and in-flight requests. */
export class Deliverer {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  // Stops every delivery in flight and every wait between attempts on stop(): one listener each, so as
  // many at once as deliveries run at once (dozens of customers writing together is normal).
  private readonly controller = (() => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  })();
  private readonly random: (() => number) | undefined;
  private readonly lostAnswerRate: number = 0;

  constructor(
    private readonly options: DeliveryOptions,
    private readonly onSettled: (delivery: WebhookDelivery) => void,
  ) {
    if (options.chaos) {
      const { duplicateRate = 0.3, maxDelayMs = 50, seed = 1 } = options.chaos;
      if (!(duplicateRate >= 0 && duplicateRate <= 1)) {
        throw new RangeError(`chaos.duplicateRate must be a share from 0 to 1, got ${duplicateRate}`);
      }
      if (!(maxDelayMs >= 0 && Number.isFinite(maxDelayMs))) {
        throw new RangeError(`chaos.maxDelayMs must be a number of milliseconds ≥ 0, got ${maxDelayMs}`);
      }
      this.random = seededRandom(seed);
      this.lostAnswerRate = checkLostAnswerRate(options.chaos);
    }
  }

  deliver(
    target: { webhookId: string; topic: string; address: string },
    payload: unknown,
    secret: string,
  ): WebhookDelivery {
    const body = JSON.stringify(payload);
    const delivery = this.send({ ...target, body, signature: sign(body, secret) });
    const chaos = this.options.chaos;
    if (this.random && chaos && this.random() < (chaos.duplicateRate ?? 0.3)) {
      this.send({ ...target, body, signature: delivery.signature, duplicateOf: delivery });
    }
    return delivery;
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
    keepNewest(this.deliveries, this.options.maxRecords);
    return delivery;
  }

  private async run(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    const head = this.random ? this.random() * (this.options.chaos?.maxDelayMs ?? 50) : 0;
    for (let attempt = 0; attempt <= BACKOFF_MS.length; attempt += 1) {
      const pause = attempt === 0 ? head : (BACKOFF_MS[attempt - 1] as number) * this.options.timeScale;
      if ((attempt > 0 || pause > 0) && !(await this.wait(pause))) break;
      const result = loseAnswer(await this.attempt(delivery), this.lostAnswerRate, this.random ?? Math.random);
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
    // The attempt's own signal, tied to stop() only while it runs (AbortSignal.any keeps its sources'
    // listeners until the combined signal is collected).
    const attempt = new AbortController();
    const stop = (): void => attempt.abort();
    this.controller.signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(
      () => attempt.abort(new DOMException('The receiver did not answer in time', 'TimeoutError')),
      this.options.timeoutMs,
    );
    try {
      const response = await fetch(delivery.address, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          [SIGNATURE_HEADER]: delivery.signature,
          'user-agent': DELIVERY_USER_AGENT,
        },
        body: delivery.body,
        signal: attempt.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      return { status: response.status };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { status: undefined, error: cause?.code ?? (error as Error).name };
    } finally {
      clearTimeout(timer);
      this.controller.signal.removeEventListener('abort', stop);
    }
  }

  private wait(ms: number): Promise<boolean> {
    if (this.controller.signal.aborted) return Promise.resolve(false);
    const { signal } = this.controller;
    return new Promise((resolve) => {
      // One listener per wait, removed when the wait ends: a long run of retries adds none that stay.
      const onAbort = (): void => resolve(false);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(!signal.aborted);
      }, ms);
      this.timers.add(timer);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
