// Agent → Send Message: streams the agent's reply (invoke); in a streaming workflow its messages are
// passed on as they arrive.
import { type IExecuteFunctions, type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import type { PartialResult } from '../../shared/context';
import type { Outputs } from '../../shared/items';
import { messageFields } from './fields';
import { turn } from './turn';

export const properties: INodeProperties[] = messageFields(true);

export const description = updateDisplayOptions(
  { show: { resource: ['agent'], operation: ['sendMessage'] } },
  properties,
);

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  await turn.call(this, itemIndex, outputs, partial, (session, inputEvents, options) =>
    session.send(inputEvents, options),
  );
}
