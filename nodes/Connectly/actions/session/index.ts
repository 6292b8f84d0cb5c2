// Session: the operations that start and end a conversation, and their parameters.
import type { INodeProperties } from 'n8n-workflow';
import * as start from './start.operation';
import * as close from './close.operation';
import * as release from './release.operation';
import * as recordHumanReply from './recordHumanReply.operation';

export { start, close, release, recordHumanReply };

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
    ],
    default: 'start',
  },
  ...start.description,
  ...close.description,
  ...release.description,
  ...recordHumanReply.description,
];
