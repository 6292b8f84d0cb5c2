import type { INodeProperties } from 'n8n-workflow';
import { customerField, optionsField, timeoutOptions } from '../../../shared/descriptions';

export const description: INodeProperties[] = [
  customerField('session', 'release'),
  {
    displayName: 'Send What Was Said',
    name: 'resumeWith',
    type: 'options',
    default: 'nextMessage',
    options: [
      {
        name: "With the Customer's Next Message",
        value: 'nextMessage',
        description:
          "The person's replies (and the customer's messages) meanwhile reach the agent together with the next message",
      },
      {
        name: 'Now',
        value: 'now',
        description: 'Send them to the agent at once; its reply comes out like the reply of Agent → Send Message',
      },
    ],
    description:
      'When the agent hears what was said while a person had the conversation (the replies recorded with Record Human Reply go to it as its own messages)',
    displayOptions: { show: { resource: ['session'], operation: ['release'] } },
  },
  optionsField('session', 'release', timeoutOptions),
];
