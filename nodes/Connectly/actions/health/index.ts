// Health: the operation that asks whether the Connectly API is up, and its parameters.
import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../../shared/context';
import { description as checkFields } from './check/description';
import { execute as check } from './check/execute';

export const operations: Record<string, Operation> = { check };

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
  ...checkFields,
];
