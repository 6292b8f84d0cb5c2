// Health: the operation that asks whether the Connectly API is up, and its parameters.
import type { INodeProperties } from 'n8n-workflow';
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
    ],
    default: 'check',
  },
  ...check.description,
];
