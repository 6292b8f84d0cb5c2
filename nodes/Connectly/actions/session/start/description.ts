import type { INodeProperties } from 'n8n-workflow';
import { clientKeyField, timeoutOptions } from '../../../shared/descriptions';

export const description: INodeProperties[] = [
  clientKeyField(['start'], 'session'),
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show: { resource: ['session'], operation: ['start'] } },
    options: timeoutOptions,
  },
];
