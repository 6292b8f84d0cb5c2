import type { INodeProperties } from 'n8n-workflow';
import { optionsField, timeoutOptions } from '../../../shared/descriptions';

const show = { resource: ['message'], operation: ['send'] };

export const description: INodeProperties[] = [
  {
    displayName: 'To',
    name: 'to',
    type: 'string',
    // The reply of Agent → Send Message and the Connectly Trigger's items both name the customer so.
    default: '={{ $json.clientKey }}',
    required: true,
    placeholder: 'e.g. +5511999999999',
    description: "The customer's WhatsApp number in E.164 form (or their BSUID)",
    hint: 'After Agent → Send Message or the Connectly Trigger, {{ $json.clientKey }} is the customer',
    displayOptions: { show },
  },
  {
    displayName: 'Content',
    name: 'content',
    type: 'options',
    default: 'agentReply',
    options: [
      {
        name: 'Agent Reply',
        value: 'agentReply',
        description:
          "The input item's agent reply, as WhatsApp messages in order: text, media, products, suggestions as buttons or a list, menus",
      },
      { name: 'Text', value: 'text', description: 'A text message you write' },
    ],
    hint: 'Agent Reply takes the Reply output of Agent → Send Message. Turn on Include Raw Events there to also send images, audio and locations in the exact order the agent sent them.',
    displayOptions: { show },
  },
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    typeOptions: { rows: 2 },
    default: '',
    required: true,
    placeholder: 'e.g. Thanks for your message, a teammate will answer shortly',
    displayOptions: { show: { ...show, content: ['text'] } },
  },
  optionsField('message', 'send', [
    {
      displayName: 'Callback Data (JSON)',
      name: 'callbackData',
      type: 'json',
      default: '{}',
      description:
        "Your own data, sent back by Connectly with this message's delivery statuses and the customer's replies to it (at most 1024 bytes as JSON, with the automation mark the node adds)",
    },
    {
      displayName: 'Catalog ID',
      name: 'catalogId',
      type: 'string',
      default: '',
      description:
        "Your WhatsApp catalog: products are then sent as catalog messages (their IDs must be the catalog's retailer IDs)",
    },
    {
      displayName: 'Default Body',
      name: 'defaultBody',
      type: 'string',
      default: 'Choose an option',
      description: 'The text above buttons or a list when no agent text directly precedes them',
    },
    {
      displayName: 'List Button Text',
      name: 'listButtonText',
      type: 'string',
      default: 'Options',
      description: 'The label of the button that opens a list (4 to 10 suggestions)',
    },
    {
      displayName: 'Products As',
      name: 'products',
      type: 'options',
      default: 'text',
      options: [
        { name: 'One Text Message', value: 'text', description: 'Title, price and link of each product' },
        {
          name: 'One Image per Product',
          value: 'images',
          description: 'The product picture with that line as caption',
        },
      ],
    },
    ...timeoutOptions,
  ]),
];
