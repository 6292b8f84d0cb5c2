// Handover holds as the node shows them: the customer they are kept for, the item a held conversation's
// message becomes on the Handover output, and the hold a handover starts when the operation asks for it.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { HandoverHolds, InputEvent } from 'connectly-agent-graph';
import type { Outputs } from './items';

/** The customer's words in input events: every text they hold, one per line. */
function textOf(inputEvents: readonly InputEvent[]): string | undefined {
  const texts = inputEvents
    .map((event) => (event as { messageEvent?: { content?: { textContent?: { text?: unknown } } } }).messageEvent)
    .map((message) => message?.content?.textContent?.text)
    .filter((text): text is string => typeof text === 'string' && text !== '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** What the registry knows of a conversation, as item fields. */
export function holdFields(holds: HandoverHolds, key: string): IDataObject {
  const hold = holds.get(key);
  return {
    held: hold?.held ?? false,
    ...(hold?.reason ? { reason: hold.reason } : {}),
    ...(hold?.heldSince ? { heldSince: new Date(hold.heldSince).toISOString() } : {}),
    pendingEvents: hold?.pending.length ?? 0,
    ...(hold?.droppedEvents ? { droppedEvents: hold.droppedEvents } : {}),
  };
}

/** A message of a held conversation, on the Handover output for the person who has it. */
export function pushHeld(
  outputs: Outputs,
  holds: HandoverHolds,
  key: string,
  clientKey: string,
  inputEvents: readonly InputEvent[],
  itemIndex: number,
): void {
  const text = textOf(inputEvents);
  outputs[1].push({
    json: {
      clientKey,
      ...(text !== undefined ? { text } : {}),
      ...holdFields(holds, key),
      inputEvents: inputEvents as unknown as IDataObject[],
    },
    pairedItem: { item: itemIndex },
  });
}

/** Holds the conversation when the turn handed over (its items on the Handover output), and says so on them. */
export function holdOnHandover(handoverItems: INodeExecutionData[], holds: HandoverHolds, key: string): void {
  if (handoverItems.length === 0) return;
  const reason = handoverItems.map((item) => item.json.reason).find((value) => typeof value === 'string');
  holds.hold(key, reason as string | undefined);
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
