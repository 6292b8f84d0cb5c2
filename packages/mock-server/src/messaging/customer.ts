// A scripted WhatsApp customer for tests and demos: what it says reaches the business as a signed
// `messages` webhook, and what the business sends it is kept in order.

import type { EventEmitter } from 'node:events';
import { waitUntil } from '../plumbing/records.js';
import type { WebhookDelivery } from './deliveries.js';
import type { SentMessage } from './types.js';
import { BSUID } from './validate.js';

/** Which of Connectly's three documented button-reply payloads to send (connectly-messaging.md §4.3). */
export type ButtonReplyShape = 'payload' | 'create-example' | 'legacy';

/** What a customer reaches of the mock's messaging side (a `MockMessaging`); its `'sent'` event tells of each send. */
export interface BusinessSide extends Pick<EventEmitter, 'on' | 'off'> {
  readonly bsuid: boolean;
  readonly businessPhone: string;
  readonly sent: readonly SentMessage[];
  now(): number;
  deliver(businessId: string, topic: string, payload: unknown): WebhookDelivery | undefined;
  noteInbound(businessId: string, phone: string, at?: number): void;
  lastInboundAt(businessId: string, phone: string): number | undefined;
  optOut(businessId: string, phone: string): void;
}

export class MockCustomer {
  /**
   * `phone` is an E.164 number, or a BSUID for a customer whose number WhatsApp hides; `userId` is the
   * BSUID of a customer whose number is known too. Either needs the mock's `bsuid` option.
   */
  constructor(
    private readonly messaging: BusinessSide,
    readonly businessId: string,
    readonly phone: string,
    readonly name: string,
    readonly userId: string | undefined = BSUID.test(phone) ? phone : undefined,
  ) {
    if (this.userId !== undefined && !messaging.bsuid) {
      throw new Error(
        `mock customer ${phone}: business-scoped user ids need the mock's messaging option { bsuid: true }`,
      );
    }
    if (this.userId !== undefined && !BSUID.test(this.userId)) {
      throw new Error(`mock customer ${phone}: userId "${this.userId}" is not a BSUID such as US.13491208655302741918`);
    }
  }

  /** Sends a text message; resolves once the business's webhook took it (or the mock gave up redelivering). */
  says(text: string): Promise<WebhookDelivery> {
    return this.inbound({ message: { text } });
  }

  /** Sends a media message (`image`, `video`, `audio` or `document`). */
  sendsMedia(type: 'image' | 'video' | 'audio' | 'document', url: string): Promise<WebhookDelivery> {
    return this.inbound({ message: { attachments: [{ type, url }] } });
  }

  /**
   * Taps a reply button (or picks a list row) of the latest interactive message the business sent,
   * found by its id or its text.
   */
  taps(idOrText: string, shape: ButtonReplyShape = 'payload'): Promise<WebhookDelivery> {
    for (const sent of [...this.received].reverse()) {
      const option = optionsOf(sent).find((o) => o.id === idOrText || o.text === idOrText);
      if (!option) continue;
      const callback = sent.callbackData === undefined ? {} : { callbackData: sent.callbackData };
      if (shape === 'legacy')
        return this.inbound({ message: { text: option.text, isButtonResponse: true }, ...callback });
      if (shape === 'create-example') {
        return this.inbound({
          topic: 'messages',
          buttonResponse: { text: option.text, id: sent.id, payload: option.id },
          ...callback,
        });
      }
      return this.inbound({
        context: { replyToId: sent.id },
        buttonResponse: { text: option.text, payload: option.id },
        ...callback,
      });
    }
    throw new Error(`mock customer ${this.phone}: no button or list row "${idOrText}" in the messages received`);
  }

  /** What the business sent this customer, in order (with `maxRecords`, among the newest sends kept). */
  get received(): SentMessage[] {
    return this.messaging.sent.filter((sent) => sent.businessId === this.businessId && sent.to === this.phone);
  }

  /** Resolves once this customer has received `count` messages in total (bounded by `timeoutMs`). */
  async waitForMessages(count: number, timeoutMs = 5000): Promise<SentMessage[]> {
    await waitUntil(
      this.messaging,
      'sent',
      () => this.received.length >= count,
      timeoutMs,
      () =>
        new Error(`mock customer ${this.phone}: ${this.received.length} of ${count} messages after ${timeoutMs} ms`),
    );
    return this.received;
  }

  /** Moves this customer's last message `ms` into the past (e.g. 25 h to close the 24-hour window). */
  silentFor(ms: number): this {
    const last = this.messaging.lastInboundAt(this.businessId, this.phone);
    if (last !== undefined) this.messaging.noteInbound(this.businessId, this.phone, last - ms);
    return this;
  }

  /** The customer opts out of template messages. */
  optOut(): this {
    this.messaging.optOut(this.businessId, this.phone);
    return this;
  }

  private inbound(event: Record<string, unknown>): Promise<WebhookDelivery> {
    this.messaging.noteInbound(this.businessId, this.phone);
    if (this.userId !== undefined) this.messaging.noteInbound(this.businessId, this.userId);
    // With BSUIDs on, the customer party carries userId and phoneNumber ("" when the number is hidden).
    const ids =
      this.userId === undefined
        ? {}
        : { userId: this.userId, phoneNumber: this.userId === this.phone ? '' : this.phone };
    const payload = {
      timestamp: String(Math.floor(this.messaging.now() / 1000)),
      sender: { id: this.phone, channelType: 'whatsapp', name: this.name, ...ids },
      recipient: { id: this.messaging.businessPhone, channelType: 'whatsapp' },
      ...event,
    };
    const delivery = this.messaging.deliver(this.businessId, 'messages', payload);
    if (!delivery) {
      throw new Error(
        `mock customer ${this.phone}: business ${this.businessId} has no "messages" webhook; register one first`,
      );
    }
    return delivery.settled;
  }
}

function optionsOf(sent: SentMessage): Array<{ id: string; text: string }> {
  const message = sent.message as {
    replyButtonMessage?: { buttons?: Array<{ id?: string; text?: string }> };
    listMessage?: { sections?: Array<{ rows?: Array<{ id?: string; text?: string }> }> };
  };
  const options = [
    ...(message.replyButtonMessage?.buttons ?? []),
    ...(message.listMessage?.sections ?? []).flatMap((section) => section.rows ?? []),
  ];
  return options.map((o) => ({ id: o.id ?? o.text ?? '', text: o.text ?? o.id ?? '' }));
}
