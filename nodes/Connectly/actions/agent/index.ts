// Agent: the operations that send a customer's message to the agent, and their parameters.
import type { INodeProperties } from 'n8n-workflow';
import * as sendMessage from './sendMessage.operation';
import * as sendMessageAndWait from './sendMessageAndWait.operation';

export { sendMessage, sendMessageAndWait };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['agent'] } },
    options: [
      {
        name: 'Send Message',
        value: 'sendMessage',
        action: 'Send a message and stream the reply',
        description: "Send the customer's message; the agent's reply streams in as it is produced",
      },
      {
        name: 'Send Message and Wait',
        value: 'sendMessageAndWait',
        action: 'Send a message and wait for the whole reply',
        description: "Send the customer's message and get the agent's reply in one piece",
      },
    ],
    default: 'sendMessage',
  },
  ...sendMessage.description,
  ...sendMessageAndWait.description,
];
