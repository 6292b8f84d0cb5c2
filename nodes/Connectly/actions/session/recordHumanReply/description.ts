import type { INodeProperties } from 'n8n-workflow';
import { customerField } from '../../../shared/descriptions';

export const description: INodeProperties[] = [
  customerField('session', 'recordHumanReply'),
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    typeOptions: { rows: 2 },
    // The Connectly Trigger's Human Agent output carries the person's message so.
    default: '={{ $json.text }}',
    description:
      'What the person wrote to the customer. Empty (a picture, say): the conversation is held all the same.',
    hint: "After the Connectly Trigger's Human Agent output, {{ $json.text }} is the message a teammate sent from Connectly's inbox",
    displayOptions: { show: { resource: ['session'], operation: ['recordHumanReply'] } },
  },
];
