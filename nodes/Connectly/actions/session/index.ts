// Session: the operations that start and end a conversation, and their parameters.
import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../../shared/context';
import { CUSTOM_API_CALL } from '../../shared/descriptions';
import { description as closeFields } from './close/description';
import { execute as close } from './close/execute';
import { description as startFields } from './start/description';
import { execute as start } from './start/execute';

export const operations: Record<string, Operation> = { start, close };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['session'] } },
    options: [
      {
        name: 'Start',
        value: 'start',
        action: 'Start a session',
        description: 'Start a conversation with one customer',
      },
      { name: 'Close', value: 'close', action: 'Close a session', description: 'End a conversation' },
      {
        name: 'Custom API Call',
        value: CUSTOM_API_CALL,
        action: 'Explain why there is no custom API call',
        description: 'Not offered: the HTTP Request node cannot read the streamed reply. Use Send Message.',
      },
    ],
    default: 'start',
  },
  ...startFields,
  ...closeFields,
];
