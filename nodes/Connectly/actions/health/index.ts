// Health: the operation that asks whether the Connectly API is up, and its parameters.
import type { INodeProperties } from 'n8n-workflow';
import { CUSTOM_API_CALL } from '../../shared/descriptions';
import * as check from './check.operation';

export { check };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['health'] } },
    options: [
      { name: 'Check', value: 'check', action: 'Check the API health', description: 'Is the Connectly API up?' },
      {
        name: 'Custom API Call',
        value: CUSTOM_API_CALL,
        action: 'Explain why there is no custom API call',
        description: 'Not offered: the HTTP Request node cannot read the streamed reply. Use Send Message.',
      },
    ],
    default: 'check',
  },
  ...check.description,
];
