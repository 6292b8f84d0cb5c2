// Session → Record Human Reply: a person wrote to the customer (from Connectly's inbox), so the
// conversation is held for them, and the agent will hear the text as its own message when it resumes.
// An echo of the workflow's own send (known by its fingerprint, which the Connectly Trigger puts on the
// Human Agent item) is not a person's: nothing is held for it. With Shared State, a repeat of a delivery
// another execution recorded keeps nothing again (`repeat: true`).
import { type IExecuteFunctions, type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import { markRun, type PartialResult } from '../../shared/context';
import { assistantText, HUMAN_REPLY_REASON } from 'connectly-agent-graph';
import { conversationState, holdFields } from '../../shared/conversation-state';
import { readCustomer } from '../../shared/holds';
import type { Outputs } from '../../shared/items';
import { connectlyClient } from '../../shared/transport';
import { actOnce, markRepeat } from '../../shared/repeats';
import { triggerMarks } from '../../../ConnectlyTrigger/items';
import { customerField } from '../../shared/descriptions';

export const properties: INodeProperties[] = [
  customerField(),
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
  },
];

export const description = updateDisplayOptions(
  { show: { resource: ['session'], operation: ['recordHumanReply'] } },
  properties,
);

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  const clientKey = readCustomer.call(this, itemIndex);
  const text = this.getNodeParameter('text', itemIndex, '') as unknown;
  partial.clientKey = clientKey;
  const client = await connectlyClient.call(this);
  const state = await conversationState.call(this, client.businessId, itemIndex);
  // The Trigger matches echoes against the sends recorded in its own process; with Shared State they are
  // recorded in the memory (Message → Send may have run on another worker), so they are matched here.
  const echo = triggerMarks(this.getInputData()[itemIndex]?.json).fingerprint;
  if (echo !== undefined && (await state.isOwnSend(clientKey, echo))) {
    outputs[0].push({
      json: { clientKey, recorded: false, ownEcho: true, ...(await holdFields(state, clientKey)) },
      pairedItem: { item: itemIndex },
    });
    return;
  }
  const recorded = typeof text === 'string' && text.trim() !== '';
  const acted = await actOnce.call(this, itemIndex, state, async () => {
    await state.holdFor(clientKey, HUMAN_REPLY_REASON, HUMAN_REPLY_REASON);
    // The agent hears the person's words as its own when the conversation is given back.
    if (recorded) await state.keepMeanwhile(clientKey, [assistantText(text)]);
  });
  // A repeat of a delivery another execution recorded: the person's words are kept once.
  outputs[0].push({
    json: {
      clientKey,
      recorded: acted && recorded,
      ...(acted ? {} : { repeat: true }),
      ...(await holdFields(state, clientKey)),
    },
    pairedItem: { item: itemIndex },
  });
  if (acted) markRun.call(this, 'teammate replied');
  else markRepeat.call(this);
}
