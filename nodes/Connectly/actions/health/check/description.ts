import type { INodeProperties } from 'n8n-workflow';
import { timeoutOptions } from '../../../shared/descriptions';

export const description: INodeProperties[] = [
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show: { resource: ['health'], operation: ['check'] } },
    options: timeoutOptions,
  },
];
