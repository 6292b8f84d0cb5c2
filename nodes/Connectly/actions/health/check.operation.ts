// Health → Check: is the Connectly API up? A missing or false answer counts as not healthy.
import { type IExecuteFunctions, type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import { firstValueFrom } from 'rxjs';
import { callOptions, timeouts } from '../../shared/context';
import type { Outputs } from '../../shared/items';
import { connectlyClient } from '../../shared/transport';
import { optionsField, timeoutOptions } from '../../shared/descriptions';

export const properties: INodeProperties[] = [optionsField(timeoutOptions)];

export const description = updateDisplayOptions({ show: { resource: ['health'], operation: ['check'] } }, properties);

export async function execute(this: IExecuteFunctions, itemIndex: number, outputs: Outputs): Promise<void> {
  const client = await connectlyClient.call(this, timeouts.call(this, itemIndex));
  const { healthy } = await firstValueFrom(client.health({}, callOptions.call(this)));
  outputs[0].push({ json: { healthy, checkedAt: new Date().toISOString() }, pairedItem: { item: itemIndex } });
}
