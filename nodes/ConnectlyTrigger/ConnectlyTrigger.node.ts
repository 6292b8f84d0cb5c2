// The Connectly Trigger: registers the workflow as the business's Connectly webhook while it is active,
// and starts an execution for each verified delivery, on the output that says who it came from.
import type {
  IHookFunctions,
  INodeExecutionData,
  INodeType,
  INodeTypeDescription,
  IWebhookFunctions,
  IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import {
  type ConversationState,
  DEFAULT_WEBHOOK_MAX_AGE_MS,
  type InboundEvent,
  deliveryRefusal,
  parseWebhook,
  webhookSignature,
} from 'connectly-agent-graph';
import { type ConnectlyMessagingCredentials, MESSAGING_CREDENTIAL } from '../Connectly/shared/messaging-transport';
import { processConversationState } from '../Connectly/shared/conversation-state';
import { credentialLabel, MESSAGING_CREDENTIAL_NAMES } from '../Connectly/shared/credentials';
import { CUSTOMER_OUTPUT, HUMAN_AGENT_OUTPUT, itemOf, OUTPUT_NAMES, STATUS_OUTPUT } from './items';
import { checkExists, create, remove } from './registration';
import { MAX_DELIVERY_AGE_LIMIT_MINUTES } from '../Connectly/shared/repeats';
// How long one delivery is held by the request taking it before a repeat may take it instead.
const CLAIM_LEASE_MS = 60_000;

/**
 * Which output a delivery goes to; undefined when it starts no execution. A customer's message notes
 * the customer's last inbound time (the 24-hour window Message → Send checks).
 */
async function outputOf(
  event: InboundEvent,
  state: ConversationState,
  deliveryStatuses: boolean,
): Promise<number | undefined> {
  switch (event.kind) {
    case 'message':
    case 'button':
      await state.noteInbound(event);
      return CUSTOMER_OUTPUT;
    case 'echo':
      // The workflow's own sends come back as echoes: hearing them would make the agent answer itself.
      return (await state.isOwnEcho(event)) ? undefined : HUMAN_AGENT_OUTPUT;
    case 'status':
      return deliveryStatuses ? STATUS_OUTPUT : undefined;
    case 'other':
      return STATUS_OUTPUT;
  }
}

/** The trigger's description; each of the two trigger types (below) names itself. */
export const triggerDescription: Omit<INodeTypeDescription, 'name' | 'icon' | 'subtitle'> = {
  displayName: 'Connectly Trigger',
  group: ['trigger'],
  version: 1,
  description:
    "Starts the workflow when a customer writes to your business on WhatsApp through Connectly, or when a person answers from Connectly's inbox",
  defaults: { name: 'Connectly Trigger' },
  inputs: [],
  outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
  outputNames: OUTPUT_NAMES,
  credentials: [{ name: MESSAGING_CREDENTIAL, required: true }],
  webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' }],
  properties: [
    {
      displayName:
        "Publishing this workflow has your business's WhatsApp messages sent here. Connectly sends them to one address only: if another system or workflow receives them now, publishing stops and names it, unless Take Over From Another Address is on.",
      name: 'takeOverNotice',
      type: 'notice',
      default: '',
    },
    {
      displayName: 'Take Over From Another Address',
      name: 'takeOver',
      type: 'boolean',
      default: false,
      description:
        'Whether publishing may take the messages away from another address that receives them now. Unpublishing gives them back to it, set up exactly as before.',
    },
    {
      displayName: 'Delivery Statuses',
      name: 'deliveryStatuses',
      type: 'boolean',
      default: false,
      description:
        'Whether to also run when a message your business sent is delivered, read or fails, on the Delivery Status output',
      hint: 'Off: those reports start nothing, and where Connectly sends them is left as it is',
    },
    {
      displayName: 'Options',
      name: 'options',
      type: 'collection',
      placeholder: 'Add option',
      default: {},
      options: [
        {
          displayName: 'Include Raw Payload',
          name: 'includePayload',
          type: 'boolean',
          default: false,
          description: 'Whether to add the delivery exactly as Connectly sent it, as "payload"',
        },
        {
          displayName: 'Max Delivery Age (Minutes)',
          name: 'maxAgeMinutes',
          type: 'number',
          typeOptions: { minValue: 1, maxValue: MAX_DELIVERY_AGE_LIMIT_MINUTES },
          default: 5,
          description:
            "How far a delivery's signed timestamp may be from this server's clock: older deliveries are refused with 401 as replays of a captured delivery",
        },
      ],
    },
    {
      displayName:
        "Customer runs for each message or button tap a customer sends. Human Agent runs for each message a teammate sends from Connectly's inbox. Nothing runs for the messages this workflow sends itself, for a delivery Connectly repeats, or for a request Connectly did not sign.",
      name: 'outputsNotice',
      type: 'notice',
      default: '',
    },
  ],
};

/**
 * The Connectly Trigger as workflows saved before `connectlyWhatsAppTrigger` name it: they keep working,
 * but the node panel no longer lists it. n8n's panel folds a trigger named like a node plus "Trigger"
 * into that node's entry (and gives the entry the trigger's description), which made the Connectly node's
 * entry read as the trigger's and left the trigger without an entry of its own.
 */
export class ConnectlyTrigger implements INodeType {
  description: INodeTypeDescription = {
    ...triggerDescription,
    name: 'connectlyTrigger',
    icon: { light: 'file:../Connectly/connectly.svg', dark: 'file:../Connectly/connectly.dark.svg' },
    subtitle: '={{ $parameter["deliveryStatuses"] ? "Messages and delivery statuses" : "WhatsApp messages" }}',
    hidden: true,
  };

  webhookMethods = {
    default: {
      async checkExists(this: IHookFunctions): Promise<boolean> {
        return await checkExists.call(this);
      },
      async create(this: IHookFunctions): Promise<boolean> {
        return await create.call(this);
      },
      async delete(this: IHookFunctions): Promise<boolean> {
        return await remove.call(this);
      },
    },
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const res = this.getResponseObject();
    const refuse = (status: number, error: string): IWebhookResponseData => {
      res.status(status).json({ error });
      return { noWebhookResponse: true };
    };
    const credentials = await this.getCredentials<ConnectlyMessagingCredentials>(MESSAGING_CREDENTIAL);
    const secret = credentials.webhookSecret;
    if (typeof secret !== 'string' || secret === '') {
      const message = `The Webhook Secret of ${credentialLabel(this.getNode(), MESSAGING_CREDENTIAL_NAMES)} is empty, so no delivery can be verified: enter the secret Connectly holds for your business`;
      this.logger.error(`Connectly Trigger: ${message}`);
      return refuse(500, message);
    }
    // Anyone can reach the webhook: an unsigned request is refused before its body is looked at.
    const signature = webhookSignature(this.getHeaderData());
    if (!signature) return refuse(401, 'invalid signature');
    // n8n reads every webhook request's bytes into rawBody before it parses a text/plain body into a string
    // (n8n 2.41, middlewares/body-parser.js): the signature is checked on those bytes, never on a re-encoding.
    // It keeps none for multipart forms, which Connectly never sends (its deliveries are text/plain).
    const rawBody: unknown = this.getRequestObject().rawBody;
    if (!(rawBody instanceof Uint8Array)) {
      this.logger.warn(
        'Connectly Trigger: refused a request whose raw body n8n did not keep (not text/plain), so its signature cannot be checked',
      );
      return refuse(401, 'invalid signature');
    }
    const { includePayload, maxAgeMinutes } = this.getNodeParameter('options', {}) as {
      includePayload?: boolean;
      maxAgeMinutes?: number;
    };
    const maxAgeMs =
      Math.min(
        Math.max(Number(maxAgeMinutes) || DEFAULT_WEBHOOK_MAX_AGE_MS / 60_000, 1),
        MAX_DELIVERY_AGE_LIMIT_MINUTES,
      ) * 60_000;
    let event: InboundEvent;
    try {
      event = parseWebhook(rawBody, this.getHeaderData(), secret, { maxAgeMs });
    } catch (error) {
      const refusal = deliveryRefusal(error, maxAgeMs, 'Max Delivery Age');
      // A replay is worth one line: a captured delivery is being sent again, or this server's clock is
      // wrong; so is a signed delivery that cannot be read. A forged request is not.
      if (refusal.outcome === 'refused-stale') this.logger.warn(`Connectly Trigger: ${refusal.message}`);
      if (refusal.outcome === 'refused-malformed') {
        this.logger.warn(`Connectly Trigger: a signed delivery could not be read: ${(error as Error).message}`);
        return refuse(400, (error as Error).message);
      }
      return refuse(refusal.status, 'invalid signature');
    }
    // Kept in this process: a delivery is no input item to pick a Shared State memory's session key by.
    const state = processConversationState(credentials.businessId);
    // Checked only once the signature holds, so that no forged request can make a real delivery look
    // repeated. [INFERRED] A redelivery repeats the body, so the signature: the same key the engine uses.
    const id = `${this.getWorkflow().id ?? ''} ${this.getNode().id} ${signature}`;
    const claim = await state.claim(id, CLAIM_LEASE_MS);
    if (claim.state !== 'claimed') return {};
    // Done only once handled: a delivery whose handling throws is answered 500, and its redelivery is taken.
    try {
      const output = await outputOf(event, state, this.getNodeParameter('deliveryStatuses', false) === true);
      const outputs: INodeExecutionData[][] = OUTPUT_NAMES.map(() => []);
      if (output !== undefined) outputs[output]?.push(itemOf(event, includePayload === true, signature));
      await state.complete(claim, 2 * maxAgeMs);
      return output === undefined ? {} : { workflowData: outputs };
    } catch (error) {
      await state.release(claim).catch(() => undefined);
      throw new NodeOperationError(this.getNode(), error as Error);
    }
  }
}
