// Parameters several operations share; each operation shows them for itself with updateDisplayOptions.
import type { INodeProperties } from 'n8n-workflow';
import { MAX_TIMEOUT_SECONDS } from './context';
import { fromVersion1_1, inVersion1 } from './versions';

const customerKey: INodeProperties = {
  displayName: 'Customer Key',
  name: 'clientKey',
  type: 'string',
  default: '',
  required: true,
  placeholder: 'e.g. customer-123 or +5511999999999',
  description: "The customer's ID in your system",
  hint: 'Use the same value for every message of one customer (a phone number, a user ID). After a Chat Trigger, {{ $json.sessionId }} is its chat session.',
};

/** Customer Key: empty in version 1; from 1.1 a Chat Trigger's chat session, as n8n's AI Agent assumes. */
export const clientKeyFields = (): INodeProperties[] => [
  { ...customerKey, displayOptions: inVersion1 },
  { ...customerKey, default: '={{ $json.sessionId }}', displayOptions: fromVersion1_1 },
];

/** The customer of an operation that follows the Connectly Trigger or a reply, which both carry clientKey. */
export const customerField = (): INodeProperties => ({
  ...customerKey,
  default: '={{ $json.clientKey }}',
  hint: 'After the Connectly Trigger or Agent → Send Message, {{ $json.clientKey }} is the customer',
});

export const timeoutOptions: INodeProperties[] = [
  {
    displayName: 'Timeout (Seconds)',
    name: 'timeout',
    type: 'number',
    typeOptions: { minValue: 1, maxValue: MAX_TIMEOUT_SECONDS },
    default: 60,
    description: `How long to wait for Connectly to start answering, up to ${MAX_TIMEOUT_SECONDS} seconds (about 24 days)`,
  },
  {
    displayName: 'Retries',
    name: 'retries',
    type: 'number',
    typeOptions: { minValue: 0, maxValue: 10 },
    default: 2,
    description:
      'How often to try again when Connectly is busy (HTTP 429 or 503) or cannot be reached. A message Connectly may have received is never sent twice.',
  },
];

/** The "Options" collection of one operation. */
export const optionsField = (options: INodeProperties[]): INodeProperties => ({
  displayName: 'Options',
  name: 'options',
  type: 'collection',
  placeholder: 'Add Option',
  default: {},
  options,
});

/**
 * What a resource or operation holds when "Custom API Call" was picked: the entry this node once listed,
 * or n8n's own. n8n 2.41 adds its own to a node whose credential authenticates only when the node's
 * default version is its only version, which this node's is not. Connectly offers none: the HTTP
 * Request node buffers the whole answer and cannot read the streamed reply.
 */
export const CUSTOM_API_CALLS: ReadonlySet<string> = new Set(['customApiCall', '__CUSTOM_API_CALL__']);
