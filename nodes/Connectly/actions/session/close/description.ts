import type { INodeProperties } from 'n8n-workflow';
import { clientKeyField, timeoutOptions } from '../../../shared/descriptions';

const show = { resource: ['session'], operation: ['close'] };

export const description: INodeProperties[] = [
  clientKeyField(['close'], 'session'),
  {
    displayName: 'Session ID',
    name: 'sessionId',
    type: 'string',
    default: '',
    required: true,
    description: 'The session to end. It cannot be used afterwards.',
    displayOptions: { show },
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: timeoutOptions,
  },
];
