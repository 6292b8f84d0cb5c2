// Agent → Send Message and Wait: the same turn through invoke_sync, answered in one piece.
import { type IExecuteFunctions, type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import type { PartialResult } from '../../shared/context';
import type { Outputs } from '../../shared/items';
import { messageFields } from './fields';
import { turn } from './turn';

export const properties: INodeProperties[] = messageFields(false);

export const description = updateDisplayOptions(
  { show: { resource: ['agent'], operation: ['sendMessageAndWait'] } },
  properties,
);

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  await turn.call(this, itemIndex, outputs, partial, (session, inputEvents, options) =>
    session.sendSync(inputEvents, options),
  );
}
