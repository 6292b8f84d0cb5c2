// What a caller asks of each endpoint, and how it becomes the wire body: every field checked and
// normalised once (snake_case keys accepted, the client's businessId filled in), before any request.

import { ConnectlyValidationError } from '../errors/errors.js';
import { asValidationError, inputEventsOf, requireString, toCamelCase, userText } from '../decoding/validate.js';
import type {
  CloseRequestBody,
  Endpoint,
  HealthRequestBody,
  InitRequestBody,
  InputEvent,
  InvokeRequestBody,
} from '../wire/api.js';

/** What every invoke request carries, whatever form its input takes. */
export interface InvokeRequestBase {
  clientKey: string;
  sessionId: string;
  /** Selects a specific agent of the business (for Sofia AI: the agent descriptor id). */
  agentId?: string;
  /** Overrides the client's businessId for this call. */
  businessId?: string;
}

/** One turn's input: exactly one of `text` and `inputEvents`, as the type says and the client checks. */
export type InvokeRequest = InvokeRequestBase &
  (
    | {
        /** Shorthand for one plain user text message. */
        text: string;
        inputEvents?: never;
      }
    | {
        /** The customer's events since the last turn. */
        inputEvents: InputEvent[];
        text?: never;
      }
  );

export interface InitRequest {
  clientKey: string;
  businessId?: string;
}
export interface InitResult {
  sessionId: string;
}
export interface CloseRequest {
  clientKey: string;
  sessionId: string;
  businessId?: string;
}
export interface CloseResult {
  sessionId: string;
  closed: true;
}
export interface HealthRequest {
  /** Any client key of the business; default `'health-check'`. */
  clientKey?: string;
  businessId?: string;
}
export interface HealthResult {
  healthy: boolean;
}

type Fields = Record<string, unknown>;

// The request's own keys in camelCase; nested values are left to the checks that read them.
function fieldsOf(request: unknown, endpoint: Endpoint): Fields {
  if (typeof request !== 'object' || request === null) {
    throw new ConnectlyValidationError(
      'request',
      `${endpoint}() needs a request object such as { clientKey: 'customer-123' }`,
    );
  }
  const fields: Fields = {};
  const spelled: Record<string, string> = {};
  let entries: Array<[string, unknown]>;
  try {
    entries = Object.entries(request);
  } catch (error) {
    throw asValidationError(error);
  }
  for (const [key, value] of entries) {
    const name = toCamelCase(key);
    if (name in spelled) {
      throw new ConnectlyValidationError(
        name,
        `The ${endpoint} request holds both \`${spelled[name]}\` and \`${key}\`, two spellings of one field: keep one`,
      );
    }
    spelled[name] = key;
    fields[name] = value;
  }
  return fields;
}

function baseBody(fields: Fields, defaultBusinessId: string): InitRequestBody {
  return {
    businessId:
      fields['businessId'] === undefined ? defaultBusinessId : requireString(fields['businessId'], 'businessId'),
    clientKey: requireString(
      fields['clientKey'],
      'clientKey',
      "the customer's id in your system (customer id, phone number…), the same for every call of a conversation",
    ),
  };
}

export function initBody(request: InitRequest, defaultBusinessId: string): InitRequestBody {
  return baseBody(fieldsOf(request, 'init'), defaultBusinessId);
}

export function healthBody(request: HealthRequest, defaultBusinessId: string): HealthRequestBody {
  const fields = fieldsOf(request, 'health');
  return baseBody({ ...fields, clientKey: fields['clientKey'] ?? 'health-check' }, defaultBusinessId);
}

export function closeBody(request: CloseRequest, defaultBusinessId: string): CloseRequestBody {
  const fields = fieldsOf(request, 'close');
  return {
    ...baseBody(fields, defaultBusinessId),
    sessionId: requireString(fields['sessionId'], 'sessionId', 'the sessionId init() returned'),
  };
}

export function invokeBody(request: InvokeRequest, defaultBusinessId: string): InvokeRequestBody {
  const fields = fieldsOf(request, 'invoke');
  const base = baseBody(fields, defaultBusinessId);
  const sessionId = requireString(
    fields['sessionId'],
    'sessionId',
    'call init() first and pass the sessionId it returns',
  );
  const agentId = fields['agentId'] === undefined ? undefined : requireString(fields['agentId'], 'agentId');
  const hasText = fields['text'] !== undefined;
  if (hasText && fields['inputEvents'] !== undefined) {
    throw new ConnectlyValidationError(
      'text',
      'Give either `text` or `inputEvents`, not both: add the text to inputEvents with userText()',
    );
  }
  const inputEvents = hasText
    ? [userText(requireString(fields['text'], 'text', "the customer's message"))]
    : inputEventsOf(fields['inputEvents']);
  return { ...base, sessionId, ...(agentId === undefined ? {} : { agentId }), inputEvents };
}
