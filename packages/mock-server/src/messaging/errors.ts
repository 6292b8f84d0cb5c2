// The Message API's error body and the HTTP status the mock pairs with each error code.

import { randomInt } from 'node:crypto';

export type MessagingErrorType =
  | 'ERROR_TYPE_INVALID_REQUEST'
  | 'ERROR_TYPE_DEADLINE_EXCEEDED'
  | 'ERROR_TYPE_UNAUTHENTICATED'
  | 'ERROR_TYPE_NOT_FOUND'
  | 'ERROR_TYPE_ALREADY_EXISTS'
  | 'ERROR_TYPE_RATE_LIMITED'
  | 'ERROR_TYPE_PERMISSION_DENIED'
  | 'ERROR_TYPE_UNSPECIFIED';

// Connectly publishes no code → status table; this is the project's mapping (connectly-messaging.md §6.4).
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  ERROR_CODE_MESSAGE_TEMPLATE_NOT_FOUND: 404,
  ERROR_CODE_BUSINESS_REACHED_LIMITS: 403,
  ERROR_CODE_BUSINESS_KEY_SECRET_ABSENT: 500,
};

const TITLES: Readonly<Record<string, string>> = {
  ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW:
    'Failed to send a message because more than 24 hours have passed since the customer last replied',
  ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION:
    'Failed to send a session message because the customer has not started a conversation',
};

/** A Message API failure: thrown inside the mock's handlers, written as the documented error body. */
export class MessagingFailure extends Error {
  readonly status: number;
  readonly type: MessagingErrorType;
  readonly code: string;
  readonly retryAfter: number | undefined;

  constructor(init: {
    code: string;
    message: string;
    status?: number;
    type?: MessagingErrorType;
    retryAfter?: number;
  }) {
    super(init.message);
    this.code = init.code;
    this.status = init.status ?? STATUS_OF_CODE[init.code] ?? 400;
    this.type =
      init.type ??
      (init.code === 'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW'
        ? 'ERROR_TYPE_DEADLINE_EXCEEDED'
        : this.status >= 500
          ? 'ERROR_TYPE_UNSPECIFIED'
          : 'ERROR_TYPE_INVALID_REQUEST');
    this.retryAfter = init.retryAfter;
  }

  /** The documented body: message, type, code, userTitle, userMessage, cntTraceId, details. */
  body(): Record<string, unknown> {
    return {
      message: this.message,
      type: this.type,
      code: this.code,
      userTitle: TITLES[this.code] ?? this.message,
      userMessage: "Pass along the connectly trace id 'cnct_trace_id' to the team for more information.",
      cntTraceId: traceId(),
      details: {},
    };
  }
}

/** A 20-digit decimal trace id, as Connectly sends (kept as a string: it exceeds 2^53). */
function traceId(): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < 20) digits += String(randomInt(0, 10));
  return digits;
}

export function invalid(message: string, code = 'ERROR_CODE_UNSPECIFIED'): MessagingFailure {
  return new MessagingFailure({ code, message, status: 400, type: 'ERROR_TYPE_INVALID_REQUEST' });
}

export function notFound(message: string): MessagingFailure {
  return new MessagingFailure({ code: 'ERROR_CODE_UNSPECIFIED', status: 404, type: 'ERROR_TYPE_NOT_FOUND', message });
}
