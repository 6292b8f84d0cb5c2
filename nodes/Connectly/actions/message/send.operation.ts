// Message → Send: a text, or the agent's whole reply mapped by the core, sent to the customer one
// message at a time and in order, each with the automation mark so its echo is not taken for a person's.
import {
  type IDataObject,
  type IExecuteFunctions,
  type INodeProperties,
  NodeOperationError,
  updateDisplayOptions,
} from 'n8n-workflow';
import {
  type AgentEvent,
  ConnectlyMessagingError,
  ConnectlyReplyIncompleteError,
  type WhatsAppMappingOptions,
  eventPayload,
  isHandoverTriggered,
  markAutomated,
} from 'connectly-agent-graph';
import { callOptions, type PartialResult, timeouts } from '../../shared/context';
import { keyRefused, type Outputs } from '../../shared/items';
import { MESSAGING_CREDENTIAL_NAMES } from '../../shared/credentials';
import { messagingClient } from '../../shared/messaging-transport';
import { conversationState, customerWindow } from '../../shared/conversation-state';
import { replyEvents } from './reply-item';
import { optionsField, timeoutOptions } from '../../shared/descriptions';

export const properties: INodeProperties[] = [
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
  },
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    typeOptions: { rows: 2 },
    default: '',
    required: true,
    placeholder: 'e.g. Thanks for your message, a teammate will answer shortly',
    displayOptions: { show: { content: ['text'] } },
  },
  optionsField([
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

export const description = updateDisplayOptions({ show: { resource: ['message'], operation: ['send'] } }, properties);

interface SendOptions extends WhatsAppMappingOptions {
  callbackData?: unknown;
}

// The codes whose fix lies outside this operation: a template, which only the templated-messages endpoint sends.
const TEMPLATE_CODES = new Set([
  'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW',
  'ERROR_CODE_MESSAGE_CUSTOMER_NO_CONVERSATION_INITIATION',
]);

function readCallbackData(this: IExecuteFunctions, raw: unknown, itemIndex: number): unknown {
  if (typeof raw !== 'string') return raw;
  if (raw.trim() === '' || raw.trim() === '{}') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new NodeOperationError(this.getNode(), `Callback Data is not valid JSON: ${(error as Error).message}`, {
      itemIndex,
      description: 'Write a JSON value such as { "orderId": "A-17" }, or remove the option',
    });
  }
}

/** Why only a template can reach the customer now, with the fix, for both ways it is found out. */
function templateOnly(
  this: IExecuteFunctions,
  to: string,
  code: string,
  itemIndex: number,
  partly = '',
  connectly = '',
): NodeOperationError {
  const why =
    code === 'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW'
      ? `${to} last wrote more than 24 hours ago: WhatsApp's 24-hour window is closed`
      : `${to} has never written to this business`;
  return new NodeOperationError(this.getNode(), `${partly}${why}, so only an approved template can reach them`, {
    itemIndex,
    description: `Send an approved WhatsApp template instead (Connectly's send/whatsapp_templated_messages endpoint), or wait until the customer writes again.${connectly}`,
  });
}

/** The Message API's refusal, in words that name the fix inside n8n. */
function sendError(this: IExecuteFunctions, error: unknown, to: string, itemIndex: number): unknown {
  const cause = error instanceof ConnectlyReplyIncompleteError ? error.cause : error;
  if (!(cause instanceof ConnectlyMessagingError)) return error;
  const partly = error instanceof ConnectlyReplyIncompleteError ? `${error.message.split(':')[0]}. ` : '';
  if (cause.status === 401 || cause.status === 403) {
    return keyRefused(
      this.getNode(),
      MESSAGING_CREDENTIAL_NAMES,
      cause.status,
      { message: cause.message, httpCode: String(cause.status) },
      itemIndex,
    );
  }
  if (cause.code && TEMPLATE_CODES.has(cause.code)) {
    const trace = cause.cntTraceId ? ` (trace ${cause.cntTraceId})` : '';
    return templateOnly.call(this, to, cause.code, itemIndex, partly, ` Connectly: ${cause.serverMessage}${trace}`);
  }
  return new NodeOperationError(this.getNode(), `${partly}${cause.message}`, {
    itemIndex,
    description: [cause.userTitle, cause.cntTraceId ? `Connectly trace ID: ${cause.cntTraceId}` : undefined]
      .filter(Boolean)
      .join('. '),
  });
}

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  const to = String(this.getNodeParameter('to', itemIndex, '') ?? '').trim();
  if (to === '') {
    throw new NodeOperationError(this.getNode(), 'To is empty: there is no customer to send to', {
      itemIndex,
      description:
        "Map the customer's WhatsApp number into To: {{ $json.clientKey }} after Agent → Send Message or the Connectly Trigger",
    });
  }
  const content = this.getNodeParameter('content', itemIndex) as 'agentReply' | 'text';
  const { callbackData: rawCallbackData, ...options } = this.getNodeParameter('options', itemIndex, {}) as SendOptions &
    IDataObject;
  const callbackData = markAutomated(readCallbackData.call(this, rawCallbackData, itemIndex));
  const { idleTimeoutMs: _, ...limits } = timeouts.call(this, itemIndex);
  partial.to = to;
  const item = this.getInputData()[itemIndex]?.json ?? {};
  // Read before the client, so a wrong input is named before any request.
  const events: AgentEvent[] | undefined =
    content === 'agentReply' ? replyEvents.call(this, item, itemIndex) : undefined;
  const text = content === 'text' ? (this.getNodeParameter('text', itemIndex, '') as unknown) : undefined;
  if (content === 'text' && (typeof text !== 'string' || text.trim() === '')) {
    throw new NodeOperationError(this.getNode(), 'Text is empty: WhatsApp does not send empty messages', {
      itemIndex,
      description: 'Write the message into Text, or pick Content → Agent Reply to send the agent reply of the input',
    });
  }
  const client = await messagingClient.call(this, limits);
  const state = await conversationState.call(this, client.businessId, itemIndex);
  // Known closed (the customer's last message, as the Connectly Trigger noted it in this process or Send
  // Message in Shared State, is over 24 hours old): refused before any request. Not known: Connectly decides.
  if ((await customerWindow(state, to)) === 'outside') {
    throw templateOnly.call(this, to, 'ERROR_CODE_MESSAGE_OUTSIDE_OF_ELIGIBILITY_WINDOW', itemIndex);
  }
  try {
    if (events === undefined) {
      const message = { text: text as string };
      await state.recordSend(to, message);
      const { id } = await client.sendMessage({ to, message, callbackData }, callOptions.call(this));
      outputs[0].push({ json: { to, messageIds: [id] }, pairedItem: { item: itemIndex } });
      return;
    }
    const mapping: WhatsAppMappingOptions = {
      ...(options.defaultBody ? { defaultBody: options.defaultBody } : {}),
      ...(options.listButtonText ? { listButtonText: options.listButtonText } : {}),
      ...(options.products ? { products: options.products } : {}),
      ...(options.catalogId ? { catalogId: options.catalogId } : {}),
    };
    const handingOver = item['handover'] === true || events.some((event) => isHandoverTriggered(event));
    let held: IDataObject | undefined;
    const result = await client.sendReply(to, events, {
      ...callOptions.call(this),
      mapping,
      callbackData,
      // Right before each message: a person who took the conversation meanwhile stops the agent's reply
      // (the reply that announces the agent's own handover still goes out); what goes is recorded, so
      // that its echo is known for the automation's own even without its callback data.
      beforeSend: async (message) => {
        const { allowed, hold } = await state.maySend(to, handingOver);
        if (!allowed) {
          held = { reason: hold?.reason ?? null, heldSince: hold ? new Date(hold.since).toISOString() : null };
          return false;
        }
        await state.recordSend(to, message);
        return true;
      },
    });
    await state.recordChoices(to, result.sent, result.choices);
    outputs[0].push({
      json: {
        to,
        messageIds: result.sent.map((sent) => sent.id),
        // Not sent: a person has the conversation (they answer now), with how many messages were held back.
        ...(held ? { held: true, withheld: result.withheld?.length ?? 0, ...held } : {}),
        // Not sent, and said so: what has no WhatsApp form, with the reason.
        unmapped: result.unmapped.map(({ event, reason }) => ({
          type: event.type,
          reason,
          [event.type]: eventPayload(event) as IDataObject,
        })),
        // Sent, but changed to fit WhatsApp's limits (a long list as text, a long caption after its image).
        adjusted: result.adjusted.map(({ event, change }) => ({ type: event.type, change })),
        choices: result.choices as unknown as IDataObject,
        // A reply item without its raw events carries a handover as its `handover` flag only.
        handover: result.handover || item['handover'] === true,
      },
      pairedItem: { item: itemIndex },
    });
  } catch (error) {
    if (error instanceof ConnectlyReplyIncompleteError) {
      partial.messageIds = error.sent.map((sent) => sent.id);
      // May have gone out: not to be sent again before checking; only `unsent` can be.
      partial.outcomeUnknown = error.outcomeUnknown as IDataObject[];
      partial.unsent = error.unsent as IDataObject[];
    }
    throw sendError.call(this, error, to, itemIndex);
  }
}
