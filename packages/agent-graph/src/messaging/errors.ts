// The Message API's error, in the package's one hierarchy: the documented body kept whole, and a
// message that names the fix (a template for the closed 24-hour window, update for an existing webhook…).

import { ConnectlyError } from '../errors/errors.js';
import { type Sanitize, notAnErrorBody, serverDetails, serverText } from '../errors/redaction.js';
import type { MessagingEndpoint } from '../wire/api.js';
import type { MessageApiErrorBody, OutboundMessage } from '../wire/message-api.js';

const HINTS: Readonly<Record<string, string>> = {
  ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW:
    'The customer last wrote more than 24 hours ago: send an approved template with sendTemplate() instead',
  ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION:
    'The customer has never written to this business: start with an approved template (sendTemplate())',
  ERROR_CODE_PHONE_NUMBER_BAD_FORMAT: 'Give the number in E.164 form, e.g. +15551234567',
  ERROR_CODE_MESSAGE_PHONE_NUMBER_INVALID: 'Check the recipient number',
  ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND: 'Check the template name and language against WhatsApp Manager',
  ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID: "Check the parameters against the template's variables",
  ERROR_CODE_MESSAGE_CUSTOMER_OPTED_OUT: 'The customer opted out of templates: do not send them more',
  ERROR_CODE_BUSINESS_KEY_SECRET_ABSENT: "The business's API secret is not set up: contact Connectly",
  ERROR_CODE_BUSINESS_REACHED_LIMITS: 'WhatsApp restricted this number after blocked or spam-flagged sends',
};

function hintFor(status: number, code: string | undefined, endpoint: MessagingEndpoint): string {
  if (code && HINTS[code]) return HINTS[code] as string;
  if (status === 401) {
    return "Check the API key: send the Messaging Key, the business's general Connectly API key (the AI Agent Key cannot send messages)";
  }
  if (status === 409 && endpoint === 'create/webhooks') {
    return 'A webhook for this topic exists: use ensureWebhook() or updateWebhook()';
  }
  if (status === 429) return 'Rate limited (200 requests per second per business): wait and retry';
  if (status === 404)
    return endpoint.endsWith('webhooks') ? 'Check the businessId and the webhook id' : 'Check the businessId';
  return '';
}

/** The Message or Webhook API refused a call. `code` is the documented `ERROR_CODE_…` string. */
export class ConnectlyMessagingError extends ConnectlyError {
  readonly status: number;
  readonly endpoint: MessagingEndpoint;
  /** `ERROR_TYPE_…`, when the server sent one. */
  readonly type: string | undefined;
  /** `ERROR_CODE_…`, when the server sent one: key your handling on this, not on the status. */
  readonly code: string | undefined;
  /** The server's own message. */
  readonly serverMessage: string;
  readonly userTitle: string | undefined;
  /** The trace id Connectly support asks for. */
  readonly cntTraceId: string | undefined;
  readonly details: unknown;
  /** The server's `Retry-After`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: {
    endpoint: MessagingEndpoint;
    status: number;
    body: MessageApiErrorBody;
    retryAfterMs?: number | undefined;
  }) {
    const { body } = init;
    const hint = hintFor(init.status, body.code, init.endpoint);
    super(
      `Connectly ${init.endpoint} failed (HTTP ${init.status}${body.code ? `, ${body.code}` : ''}): ${body.message || 'no message'}` +
        (hint ? `. ${hint}` : ''),
    );
    this.status = init.status;
    this.endpoint = init.endpoint;
    this.type = body.type;
    this.code = body.code;
    this.serverMessage = body.message ?? '';
    this.userTitle = body.userTitle;
    this.cntTraceId = body.cntTraceId;
    this.details = body.details;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * `sendReply()` stopped part-way, in three parts in order: `sent` went out (each with its id);
 * `outcomeUnknown` is the message whose send failed without proof either way (a time limit, a broken
 * connection, a 5xx, a 200 without an id): Connectly may have sent it, so check the customer's
 * conversation or its delivery statuses before sending it again; `unsent` never reached Connectly and
 * can be sent again as they are. `cause` says why it stopped.
 */
export class ConnectlyReplyIncompleteError extends ConnectlyError {
  readonly sent: ReadonlyArray<{ id: string; message?: OutboundMessage }>;
  readonly outcomeUnknown: readonly OutboundMessage[];
  readonly unsent: readonly OutboundMessage[];

  constructor(
    sent: ReadonlyArray<{ id: string; message?: OutboundMessage }>,
    unsent: readonly OutboundMessage[],
    cause: ConnectlyError,
    outcomeUnknown: readonly OutboundMessage[] = [],
  ) {
    const total = sent.length + outcomeUnknown.length + unsent.length;
    const unknown = outcomeUnknown.length
      ? `, ${outcomeUnknown.length} that may have been sent (do not send it again unchecked)`
      : '';
    super(
      `The reply was sent only in part (${sent.length} of ${total} messages sent${unknown}, ${unsent.length} not sent): ${cause.message}`,
      { cause },
    );
    this.sent = sent;
    this.outcomeUnknown = outcomeUnknown;
    this.unsent = unsent;
  }
}

for (const type of [ConnectlyMessagingError, ConnectlyReplyIncompleteError]) {
  Object.defineProperty(type.prototype, 'name', { value: type.name, writable: true, configurable: true });
}

/**
 * A refusal's body as the error carries it, read as the agent client reads its own: server text without
 * the key, the message cut short, details copied with the key removed from every decoded string and cut
 * where they nest too deep.
 */
export function messagingErrorBody(text: string, status: number, sanitize: Sanitize): MessageApiErrorBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const body = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const str = (key: string): string | undefined =>
    typeof body[key] === 'string' ? serverText(body[key] as string, sanitize) : undefined;
  return {
    message: str('message') ?? notAnErrorBody(text, status, sanitize),
    type: str('type'),
    code: str('code'),
    userTitle: str('userTitle'),
    cntTraceId: str('cntTraceId'),
    details: body.details === undefined ? undefined : serverDetails(body.details, sanitize),
  };
}
