// Parameters several operations share.
import type { INodeProperties } from 'n8n-workflow';
import { MAX_TIMEOUT_SECONDS } from './context';

export const clientKeyField = (resource: string, operation: string): INodeProperties => ({
  displayName: 'Customer Key',
  name: 'clientKey',
  type: 'string',
  default: '',
  required: true,
  placeholder: 'e.g. customer-123 or +5511999999999',
  description: "The customer's ID in your system. Use the same value for every message of a conversation.",
  displayOptions: { show: { resource: [resource], operation: [operation] } },
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
export const optionsField = (resource: string, operation: string, options: INodeProperties[]): INodeProperties => ({
  displayName: 'Options',
  name: 'options',
  type: 'collection',
  placeholder: 'Add Option',
  default: {},
  displayOptions: { show: { resource: [resource], operation: [operation] } },
  options,
});
