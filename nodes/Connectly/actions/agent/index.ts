// Agent: the operations that send a customer's message to the agent, and their parameters.
import type { INodeProperties } from 'n8n-workflow';
import { CUSTOM_API_CALL } from '../../shared/descriptions';
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
      {
        name: 'Custom API Call',
        value: CUSTOM_API_CALL,
        action: 'Explain why there is no custom API call',
        description: 'Not offered: the HTTP Request node cannot read the streamed reply. Use Send Message.',
      },
    ],
    default: 'sendMessage',
  },
  ...sendMessage.description,
  ...sendMessageAndWait.description,
];
