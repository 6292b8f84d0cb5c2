import type { INodeProperties } from 'n8n-workflow';
import { clientKeyField, optionsField, timeoutOptions } from '../../../shared/descriptions';

export const description: INodeProperties[] = [
  clientKeyField('session', 'close'),
  {
    displayName: 'Session ID',
    name: 'sessionId',
    type: 'string',
    default: '',
    required: true,
    description: 'The session to end. It cannot be used afterwards.',
    displayOptions: { show: { resource: ['session'], operation: ['close'] } },
  },
  optionsField('session', 'close', timeoutOptions),
];
