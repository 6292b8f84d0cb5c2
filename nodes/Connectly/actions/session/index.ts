// Session: the operations that start and end a conversation, and their parameters.
import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../../shared/context';
import { CUSTOM_API_CALL } from '../../shared/descriptions';
import { description as closeFields } from './close/description';
import { execute as close } from './close/execute';
import { description as recordHumanReplyFields } from './recordHumanReply/description';
import { execute as recordHumanReply } from './recordHumanReply/execute';
import { description as releaseFields } from './release/description';
import { execute as release } from './release/execute';
import { description as startFields } from './start/description';
import { execute as start } from './start/execute';

export const operations: Record<string, Operation> = { start, close, release, recordHumanReply };

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
        name: 'Record Human Reply',
        value: 'recordHumanReply',
        action: 'Record a human reply',
        description: 'A teammate wrote to the customer: hold the conversation for them and keep the text for the agent',
      },
      {
        name: 'Release',
        value: 'release',
        action: 'Release a held conversation',
        description: 'Hand a held conversation back to the agent, with what was said meanwhile',
      },
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
  ...releaseFields,
  ...recordHumanReplyFields,
];
