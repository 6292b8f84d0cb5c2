// The fields both Send Message operations take (shown for one operation by its updateDisplayOptions), and how they are read.
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { ConversationState, InputEvent } from 'connectly-agent-graph';
import { choiceInputEvents, findChoice, userText } from 'connectly-agent-graph';
import { MAX_TIMEOUT_SECONDS } from '../../shared/context';
import { clientKeyFields, optionsField, timeoutOptions } from '../../shared/descriptions';
import { fromVersion1_1, inVersion1 } from '../../shared/versions';

const sessionMemory: INodeProperties = {
  displayName: 'Session Memory',
  name: 'sessionMemory',
  type: 'options',
  default: 'new',
  options: [
    {
      name: 'Remember per Customer',
      value: 'remember',
      description:
        "With Session ID empty, continue the customer's conversation (by Customer Key) across executions, one turn at a time, starting a new session when Connectly has forgotten the old one or after 24 hours without a message",
    },
    {
      name: 'New Session Every Time',
      value: 'new',
      description: 'With Session ID empty, every message starts a new conversation',
    },
  ],
  hint: 'Remembered in the memory of this n8n instance: not kept across restarts, and not shared between queue-mode workers (each worker keeps its own). Pass the Session ID from the previous reply where that matters.',
  description: 'What happens when Session ID is empty',
};

/** Session Memory: a new session every time in version 1, as its workflows were built; from 1.1 remembered per customer. */
function sessionMemoryFields(): INodeProperties[] {
  return [
    { ...sessionMemory, displayOptions: inVersion1 },
    { ...sessionMemory, default: 'remember', displayOptions: fromVersion1_1 },
  ];
}

const text: INodeProperties = {
  displayName: 'Text',
  name: 'text',
  type: 'string',
  typeOptions: { rows: 2 },
  default: '',
  required: true,
  placeholder: 'e.g. I want a festive gift for my wife',
  description: "The customer's message",
  hint: 'After a Chat Trigger, {{ $json.chatInput }} is the message typed in the chat; after a Webhook, map the field that holds the text',
};

/** Text: empty in version 1; from 1.1 the message typed in a Chat Trigger's chat, as n8n's AI Agent assumes. */
function textFields(): INodeProperties[] {
  const show = { inputType: ['text'] };
  return [
    { ...text, displayOptions: { show: { ...show, ...inVersion1.show } } },
    { ...text, default: '={{ $json.chatInput }}', displayOptions: { show: { ...show, ...fromVersion1_1.show } } },
  ];
}

export function messageFields(streaming: boolean): INodeProperties[] {
  return [
    {
      // n8n hides a field's hint while its value is an expression, as both defaults below are: what a user
      // must know about them goes here, where it always shows.
      displayName:
        "Customer Key names the conversation: give every message of one customer the same key (after a Chat Trigger its chat session, after the Connectly Trigger {{ $json.clientKey }}). Text is the customer's message (after a Chat Trigger {{ $json.chatInput }}). For products and suggestions in n8n's chat, set the Chat Trigger's Response Mode to Streaming.",
      name: 'conversationNotice',
      type: 'notice',
      default: '',
    },
    ...clientKeyFields(),
    {
      displayName: 'Session ID',
      name: 'sessionId',
      type: 'string',
      default: '',
      description:
        'The conversation to continue. Leave empty to let Session Memory pick it: every output item carries the session ID either way.',
    },
    ...sessionMemoryFields(),
    {
      displayName: 'Input',
      name: 'inputType',
      type: 'options',
      default: 'text',
      options: [
        { name: 'Text', value: 'text', description: 'A plain message from the customer' },
        {
          name: 'Events (JSON)',
          value: 'events',
          description: 'Any input events: button or list replies, forms, store events, images, locations',
        },
      ],
    },
    ...textFields(),
    {
      displayName: 'Input Events',
      name: 'inputEvents',
      type: 'json',
      default: '[\n  { "messageEvent": { "role": "USER", "content": { "textContent": { "text": "Hi" } } } }\n]',
      required: true,
      description:
        "A JSON array of input events as in Connectly's documentation, one event key per element: messageEvent, buttonResponseEvent, listReplyEvent, filledFormResponseEvent or storeEvent",
      displayOptions: { show: { inputType: ['events'] } },
    },
    {
      displayName: 'Output',
      name: 'output',
      type: 'options',
      default: 'reply',
      options: [
        {
          name: 'Whole Reply',
          value: 'reply',
          description: 'One item per input: reply text, products, suggestions, interactive content, handover flag',
        },
        { name: 'One Item per Event', value: 'events', description: 'Every agent event as its own item' },
      ],
    },
    {
      displayName: 'Hold Conversation on Handover',
      name: 'holdOnHandover',
      type: 'boolean',
      default: false,
      description:
        "Whether a handover gives the conversation to a person until it is given back: meanwhile the customer's messages go to the Handover output instead of the agent. Kept in the memory of this n8n instance (each queue-mode worker keeps its own, and a restart forgets it).",
      hint: "On: when the agent hands over, a person has the conversation. The customer's next messages go to the Handover output (for your team), not to the agent, until the conversation is given back (Session → Release, for example from a hand-back form). The agent then hears what was said meanwhile.",
    },
    optionsField([
      {
        displayName: 'Agent ID',
        name: 'agentId',
        type: 'string',
        default: '',
        description:
          "A specific agent of your business (for Sofia AI: your agent descriptor ID). Empty: the business's default agent.",
      },
      {
        displayName: 'Stream to Chat',
        name: 'streamContent',
        type: 'options',
        default: 'all',
        options: [
          {
            name: 'Text and Rich Content',
            value: 'all',
            description: 'Text, products, suggestions, menus and the handover notice, as Markdown',
          },
          { name: 'Text Only', value: 'text', description: "The agent's text messages alone" },
        ],
        description:
          'What a streaming workflow (Chat Trigger, or a Webhook that streams) passes on as the reply arrives',
      },
      {
        displayName: 'Include Raw Events',
        name: 'rawEvents',
        type: 'boolean',
        default: false,
        description:
          'Whether the whole-reply item also carries every event as received, the message events and the handover events. Unset: they are left out, except in version 1 of the node, which always carried them.',
      },
      ...timeoutOptions,
      ...(streaming
        ? [
            {
              displayName: 'Idle Timeout (Seconds)',
              name: 'idleTimeout',
              type: 'number' as const,
              typeOptions: { minValue: 1, maxValue: MAX_TIMEOUT_SECONDS },
              default: 60,
              description: `Stop waiting when the reply stream sends nothing for this long, up to ${MAX_TIMEOUT_SECONDS} seconds`,
            },
          ]
        : []),
    ]),
  ];
}

/** The customer's input as input events: the text, or the JSON the user wrote. */
export function readInputEvents(this: IExecuteFunctions, itemIndex: number): InputEvent[] {
  if (this.getNodeParameter('inputType', itemIndex) === 'text') {
    const text = this.getNodeParameter('text', itemIndex, '') as unknown;
    if (typeof text !== 'string' || text.trim() === '') {
      throw new NodeOperationError(this.getNode(), "Text is empty: there is no customer's message to send", {
        itemIndex,
        description:
          'Map the message into Text: {{ $json.chatInput }} after a Chat Trigger, or the field of your input that holds it',
      });
    }
    return [userText(text)];
  }
  const raw = this.getNodeParameter('inputEvents', itemIndex) as unknown;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new NodeOperationError(this.getNode(), `Input Events is not valid JSON: ${(error as Error).message}`, {
        itemIndex,
        description:
          'Write a JSON array such as [{ "messageEvent": { "role": "USER", "content": { "textContent": { "text": "Hi" } } } }]',
      });
    }
  }
  return (Array.isArray(value) ? value : [value]) as InputEvent[];
}

/**
 * A tap the Connectly Trigger passed on (a reply button or list row), as the whole choice Message → Send
 * offered this customer: WhatsApp cuts titles to 20 characters, and a suggestion must reach the agent as
 * the full question. Only when the input is the trigger's own rendering of the tap (its text, or its
 * inputEvents) and the choice is known; anything else goes as the user wrote it.
 */
export async function withOfferedChoice(
  this: IExecuteFunctions,
  itemIndex: number,
  inputEvents: InputEvent[],
  state: ConversationState,
  clientKey: string,
): Promise<InputEvent[]> {
  const json = this.getInputData()[itemIndex]?.json;
  if (json?.kind !== 'button' || typeof json.buttonId !== 'string' || typeof json.text !== 'string') {
    return inputEvents;
  }
  const passedOn = JSON.stringify(inputEvents);
  const asText = JSON.stringify([userText(json.text)]);
  if (passedOn !== asText && passedOn !== JSON.stringify(json.inputEvents)) return inputEvents;
  // The message the tap names picks the choices it offered (not those of a newer reply with the same ids).
  const replyToId = typeof json.replyToId === 'string' ? json.replyToId : undefined;
  const choices = (await state.findChoices(clientKey, replyToId))?.choices ?? {};
  if (!findChoice(choices, json.buttonId, replyToId)) return inputEvents;
  return choiceInputEvents(json.buttonId, json.text, choices, replyToId);
}
