// Session → Start: creates a conversation for one customer and outputs its session ID.
import { type IExecuteFunctions, type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import { firstValueFrom } from 'rxjs';
import { callOptions, type PartialResult, timeouts } from '../../shared/context';
import type { Outputs } from '../../shared/items';
import { connectlyClient } from '../../shared/transport';
import { clientKeyFields, optionsField, timeoutOptions } from '../../shared/descriptions';

export const properties: INodeProperties[] = [...clientKeyFields(), optionsField(timeoutOptions)];

export const description = updateDisplayOptions({ show: { resource: ['session'], operation: ['start'] } }, properties);

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  const clientKey = this.getNodeParameter('clientKey', itemIndex) as string;
  partial.clientKey = clientKey;
  const client = await connectlyClient.call(this, timeouts.call(this, itemIndex));
  const { sessionId } = await firstValueFrom(client.init({ clientKey }, callOptions.call(this)));
  outputs[0].push({ json: { sessionId, clientKey }, pairedItem: { item: itemIndex } });
}
