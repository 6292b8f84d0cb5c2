// Message: sending WhatsApp messages to the customer through Connectly's Message API.
import type { INodeProperties } from 'n8n-workflow';
import * as send from './send.operation';

export { send };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['message'] } },
    options: [
      {
        name: 'Send',
        value: 'send',
        action: 'Send a message',
        description: "Send a text, or the agent's whole reply, to the customer on WhatsApp",
      },
    ],
    default: 'send',
  },
  ...send.description,
];
