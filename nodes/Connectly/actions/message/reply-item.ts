// The agent reply an input item carries, read by the core's `fromReplyItem` (the inverse of the
// `toReplyItem` that built the Agent node's item); an item with no reply is refused with the fix.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { type AgentEvent, fromReplyItem } from 'connectly-agent-graph';

export function replyEvents(this: IExecuteFunctions, item: IDataObject, itemIndex: number): AgentEvent[] {
  const events = fromReplyItem(item);
  if (events === undefined) {
    throw new NodeOperationError(this.getNode(), 'The input item holds no agent reply to send', {
      itemIndex,
      description:
        'Connect the Reply output of Connectly → Agent → Send Message, or pick Content → Text to send a message you write',
    });
  }
  return events;
}
