// Handover holds as the node shows them: the item a held conversation's message becomes on the Handover
// output, and the hold a handover starts when the operation asks for it. The holds themselves are the
// core's (ConversationState, conversation-state.ts): set with a TTL, never forgotten to make room.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { AGENT_HOLD, type ConversationState, type InputEvent } from 'connectly-agent-graph';
import { holdFields, textOf } from './conversation-state';
import type { Outputs } from './items';

/** A message of a held conversation, on the Handover output for the person who has it. */
export async function pushHeld(
  outputs: Outputs,
  state: ConversationState,
  clientKey: string,
  inputEvents: readonly InputEvent[],
  itemIndex: number,
): Promise<void> {
  const text = textOf(inputEvents);
  outputs[1].push({
    json: {
      clientKey,
      ...(text !== undefined ? { text } : {}),
      ...(await holdFields(state, clientKey)),
      inputEvents: inputEvents as unknown as IDataObject[],
    },
    pairedItem: { item: itemIndex },
  });
}

/** Holds the conversation when the turn handed over (its items on the Handover output), and says so on them. */
export async function holdOnHandover(
  handoverItems: INodeExecutionData[],
  state: ConversationState,
  clientKey: string,
): Promise<void> {
  if (handoverItems.length === 0) return;
  const reason = handoverItems.map((item) => item.json.reason).find((value) => typeof value === 'string');
  await state.holdFor(clientKey, AGENT_HOLD, (reason as string | undefined) ?? 'The agent handed over');
  for (const item of handoverItems) item.json.held = true;
}

/** The Customer Key parameter, which must name someone: a hold is kept per customer. */
export function readCustomer(this: IExecuteFunctions, itemIndex: number): string {
  const clientKey = this.getNodeParameter('clientKey', itemIndex, '') as unknown;
  if (typeof clientKey !== 'string' || clientKey.trim() === '') {
    throw new NodeOperationError(this.getNode(), 'Customer Key is empty: there is no conversation to act on', {
      itemIndex,
      description:
        'Map the customer into Customer Key: {{ $json.clientKey }} after the Connectly Trigger or Agent → Send Message',
    });
  }
  return clientKey;
}
