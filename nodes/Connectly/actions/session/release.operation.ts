// Session → Release: gives a held conversation back to the agent. What was said meanwhile reaches the
// agent with the customer's next message, or at once, its reply then output like Send Message's.
import { type IExecuteFunctions, type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import { type AgentEvent, summarizeReply, turnNotProcessed } from 'connectly-agent-graph';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { callOptions, markRun, type PartialResult, timeouts } from '../../shared/context';
import { holdOnHandover, readCustomer } from '../../shared/holds';
import { type Outputs, pushReply } from '../../shared/items';
import { conversationState } from '../../shared/conversation-state';
import { connectlyClient } from '../../shared/transport';
import { customerField, optionsField, timeoutOptions } from '../../shared/descriptions';

export const properties: INodeProperties[] = [
  customerField(),
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
  },
  optionsField(timeoutOptions),
];

export const description = updateDisplayOptions(
  { show: { resource: ['session'], operation: ['release'] } },
  properties,
);

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  const clientKey = readCustomer.call(this, itemIndex);
  const now = this.getNodeParameter('resumeWith', itemIndex, 'nextMessage') === 'now';
  partial.clientKey = clientKey;
  const client = await connectlyClient.call(this, timeouts.call(this, itemIndex), { itemIndex });
  const state = await conversationState.call(this, client.businessId, itemIndex);
  const released = await state.clearHold(clientKey);
  const pendingEvents = await state.meanwhileCount(clientKey);
  const taken = now ? await state.takeMeanwhile(clientKey) : { inputEvents: [], ids: [] };
  const pending = taken.inputEvents;
  const restore = () => state.restoreMeanwhile(clientKey, taken);
  let restoring: Promise<void> | undefined;
  markRun.call(this, 'handed back to the agent');
  if (pending.length === 0) {
    outputs[0].push({ json: { clientKey, released, pendingEvents, sentEvents: 0 }, pairedItem: { item: itemIndex } });
    return;
  }
  // Sent now: an error item carries them, so a failed call loses none of them.
  partial.resumedEvents = pending as unknown as PartialResult[];
  const session = client.session({ clientKey });
  let events: AgentEvent[];
  try {
    events = await lastValueFrom(
      session.send(pending, callOptions.call(this)).pipe(
        // Refused before Connectly took them: they wait for the customer's next message instead.
        tap({ error: (error: unknown) => void (turnNotProcessed(error) && (restoring = restore())) }),
        toArray(),
      ),
    );
  } finally {
    await restoring;
    if (session.sessionId !== undefined) partial.sessionId = session.sessionId;
    await client.sessionsIdle();
  }
  const handoversBefore = outputs[1].length;
  pushReply(outputs, { ...summarizeReply(events), sessionId: session.sessionId }, clientKey, { item: itemIndex });
  Object.assign(outputs[0][outputs[0].length - 1]!.json, { released, pendingEvents: 0, sentEvents: pending.length });
  // The agent may hand over again at once: the person keeps the conversation.
  await holdOnHandover(outputs[1].slice(handoversBefore), state, clientKey);
}
