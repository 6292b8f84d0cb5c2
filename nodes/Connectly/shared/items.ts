// What the node outputs: items built from agent events and replies, and errors as n8n errors.
import {
  type IDataObject,
  type INode,
  type INodeExecutionData,
  type IPairedItemData,
  type JsonObject,
  NodeApiError,
  NodeOperationError,
} from 'n8n-workflow';
import {
  type AgentEvent,
  type AgentReply,
  ConnectlyApiError,
  ConnectlyError,
  ConnectlyValidationError,
  eventPayload,
  isHandoverTriggered,
  messageText,
  toReplyItem,
} from 'connectly-agent-graph';
import {
  AGENT_CREDENTIAL,
  credentialLabel,
  keyRefusedDescription,
  type MESSAGING_CREDENTIAL_NAMES,
} from './credentials';

/** Output 0 carries the agent's reply; output 1 carries handovers, so a workflow can route them directly. */
export type Outputs = [INodeExecutionData[], INodeExecutionData[]];

export const newOutputs = (): Outputs => [[], []];

/** What an event item says itself (`held` when the turn holds the conversation); a payload field of the same name never takes its place. */
const ITEM_FIELDS = new Set(['type', 'sessionId', 'clientKey', 'text', 'handover', 'held']);

/** Sets a field, even one named `__proto__`, which an assignment would take as the object's prototype. */
function setField(json: IDataObject, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(json, key, { value, enumerable: true, writable: true, configurable: true });
  else json[key] = value as IDataObject[string];
}

/**
 * One agent event as an item: its kind, session, customer, the payload under its kind, and text when it has some.
 * `pairedItem` is the input item's, one object shared by all its items, as n8n's constructExecutionMetaData does.
 */
export function eventItem(
  event: AgentEvent,
  clientKey: string,
  pairedItem: IPairedItemData,
  handover = isHandoverTriggered(event),
): INodeExecutionData {
  // Payloads come fresh from JSON.parse of the wire: plain data already, no copy needed.
  const payload = eventPayload(event) as IDataObject;
  const text = messageText(event);
  // Built field by field on `{}`, which has room for four fields in the object itself: a literal with a
  // spread and a computed key is built by a runtime call into a dictionary, three times the size, and
  // n8n holds every item until the execution ends.
  const json: IDataObject = {};
  json.type = event.type;
  json.sessionId = event.sessionId;
  json.clientKey = clientKey;
  if (text !== undefined) json.text = text;
  if (!handover) {
    setField(json, event.type, payload);
    return { json, pairedItem };
  }
  // A handover is read field by field (reason, initialSearchPhrase…), so its fields sit at the top, once.
  // The item's own fields win over the payload's; a payload they shadow also stays whole under its kind.
  json.handover = true;
  let shadowed = false;
  for (const [key, value] of Object.entries(payload)) {
    if (ITEM_FIELDS.has(key)) shadowed = true;
    else setField(json, key, value);
  }
  if (shadowed) setField(json, event.type, payload);
  return { json, pairedItem };
}

/** Routes an event: handovers to output 1, everything else to output 0. */
export function pushEvent(outputs: Outputs, event: AgentEvent, clientKey: string, pairedItem: IPairedItemData): void {
  const handover = isHandoverTriggered(event);
  outputs[handover ? 1 : 0].push(eventItem(event, clientKey, pairedItem, handover));
}

/**
 * One whole reply as an item (output 0), the core's `ReplyItem`, which Message → Send reads back with
 * `fromReplyItem`; each handover it asks for also goes to output 1.
 */
export function pushReply(
  outputs: Outputs,
  reply: AgentReply,
  clientKey: string,
  pairedItem: IPairedItemData,
  rawEvents = false,
): void {
  outputs[0].push({ json: toReplyItem(reply, { clientKey, rawEvents }) as unknown as IDataObject, pairedItem });
  for (const event of reply.handovers) {
    if (isHandoverTriggered(event)) outputs[1].push(eventItem(event, clientKey, pairedItem));
  }
}

/** Connectly refused the key of one of the credentials: the headline names the credential, the description the fix. */
export function keyRefused(
  node: INode,
  names: typeof AGENT_CREDENTIAL | typeof MESSAGING_CREDENTIAL_NAMES,
  status: number,
  cause: JsonObject,
  itemIndex?: number,
): NodeApiError {
  const verdict = status === 403 ? 'accepts the key but not for this Business ID' : `does not accept the ${names.key}`;
  return new NodeApiError(node, cause, {
    ...(itemIndex === undefined ? {} : { itemIndex }),
    message: `Connectly ${verdict} of ${credentialLabel(node, names)}`,
    httpCode: String(status),
    description: keyRefusedDescription(node, names, status),
  });
}

/** Turns anything thrown into the n8n error a user can act on; the key never appears in it. */
export function toNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
  if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
  if (error instanceof ConnectlyValidationError) {
    return new NodeOperationError(node, error.message, { itemIndex, description: `Check the "${error.field}" value` });
  }
  if (error instanceof ConnectlyApiError && (error.status === 401 || error.status === 403)) {
    return keyRefused(node, AGENT_CREDENTIAL, error.status, error.toJSON() as JsonObject, itemIndex);
  }
  if (error instanceof ConnectlyApiError) {
    return new NodeApiError(node, error.toJSON() as JsonObject, {
      itemIndex,
      message: error.message,
      httpCode: String(error.status),
      description: error.serverMessage || undefined,
    });
  }
  if (error instanceof ConnectlyError) return new NodeOperationError(node, error.message, { itemIndex });
  return new NodeOperationError(node, error instanceof Error ? error.message : String(error), { itemIndex });
}
