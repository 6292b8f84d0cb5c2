// What the business sends: each send passes its checks in order (an injected failure, the rate limit,
// the request rules, then the 24-hour window for a session message or the template and the customer's
// opt-out for a template message) and is recorded. The window and opt-outs are kept per customer here.

import { keepNewest } from '../plumbing/records.js';
import { MessagingFailure, invalid } from './errors.js';
import { MESSAGING_DEFAULTS, type MessagingResponse, type MockMessagingOptions, type SentMessage } from './types.js';
import { ulid } from './ulid.js';
import { checkSessionSend, checkTemplateSend } from './validate.js';

const DAY_MS = 24 * 60 * 60 * 1000;

type OutboxOptions = Pick<MockMessagingOptions, 'rateLimitPerSecond' | 'bsuid' | 'maxRecords' | 'templates'> & {
  now: () => number;
};

/** One customer of one business. */
function customerKey(businessId: string, phone: string): string {
  return `${businessId} ${phone}`;
}

export class Outbox {
  readonly sent: SentMessage[] = [];
  private readonly lastInbound = new Map<string, number>();
  private readonly optedOut = new Set<string>();
  private readonly rate = new Map<string, { second: number; count: number }>();
  private readonly failures: MessagingFailure[] = [];

  constructor(
    private readonly options: OutboxOptions,
    /** Called with each message once it is recorded. */
    private readonly onSent: (sent: SentMessage) => void,
  ) {}

  /** The next send (session or template) fails with this error instead of being sent. */
  failNext(failure: MessagingFailure): void {
    this.failures.push(failure);
  }

  noteInbound(businessId: string, phone: string, at: number): void {
    this.lastInbound.set(customerKey(businessId, phone), at);
  }

  lastInboundAt(businessId: string, phone: string): number | undefined {
    return this.lastInbound.get(customerKey(businessId, phone));
  }

  optOut(businessId: string, phone: string): void {
    this.optedOut.add(customerKey(businessId, phone));
  }

  sendSession(businessId: string, body: unknown): MessagingResponse {
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
    if (this.options.now() - last > DAY_MS) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW',
        message: 'Failed to send a message because more than 24 hours have passed since the customer last replied',
      });
    }
    return this.record(businessId, 'session', to, send.message, send.callbackData, send.campaignName);
  }

  sendTemplate(businessId: string, body: unknown): MessagingResponse {
    this.takeSendFault(businessId);
    const send = checkTemplateSend(body, this.options.bsuid ?? false);
    const templates = this.options.templates ?? MESSAGING_DEFAULTS.templates;
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
    if (this.optedOut.has(customerKey(businessId, send.number))) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT',
        message: `${send.number} opted out of template messages`,
      });
    }
    const { callbackData, ...message } = send;
    return this.record(businessId, 'template', send.number, message, callbackData, send.campaignName);
  }

  // An injected failure goes first; then the send counts against the business's rate for this second.
  private takeSendFault(businessId: string): void {
    const fault = this.failures.shift();
    if (fault) throw fault;
    const second = Math.floor(this.options.now() / 1000);
    const window = this.rate.get(businessId);
    const count = window?.second === second ? window.count + 1 : 1;
    this.rate.set(businessId, { second, count });
    const limit = this.options.rateLimitPerSecond ?? MESSAGING_DEFAULTS.rateLimitPerSecond;
    if (count > limit) {
      throw new MessagingFailure({
        code: 'ERROR_CODE_UNSPECIFIED',
        status: 429,
        type: 'ERROR_TYPE_RATE_LIMITED',
        retryAfter: 1,
        message: `more than ${limit} sends per second for this business`,
      });
    }
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
      id: ulid(this.options.now()),
      businessId,
      kind,
      to,
      message,
      callbackData,
      campaignName,
      at: this.options.now(),
    };
    this.sent.push(sent);
    keepNewest(this.sent, this.options.maxRecords);
    this.onSent(sent);
    return { status: 200, body: { id: sent.id } };
  }
}
