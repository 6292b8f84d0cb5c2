// Session → Close: ends a session on Connectly, and the node no longer remembers it for the customer.
import { type IExecuteFunctions, type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import { firstValueFrom } from 'rxjs';
import { callOptions, type PartialResult, timeouts } from '../../shared/context';
import type { Outputs } from '../../shared/items';
import { forgetSession } from '../../shared/session-memory';
import { connectlyClient } from '../../shared/transport';
import { clientKeyFields, optionsField, timeoutOptions } from '../../shared/descriptions';

export const properties: INodeProperties[] = [
  ...clientKeyFields(),
  {
    displayName: 'Session ID',
    name: 'sessionId',
    type: 'string',
    default: '',
    required: true,
    description: 'The session to end. It cannot be used afterwards.',
  },
  optionsField(timeoutOptions),
];

export const description = updateDisplayOptions({ show: { resource: ['session'], operation: ['close'] } }, properties);

export async function execute(
  this: IExecuteFunctions,
  itemIndex: number,
  outputs: Outputs,
  partial: PartialResult,
): Promise<void> {
  const clientKey = this.getNodeParameter('clientKey', itemIndex) as string;
  const sessionId = (this.getNodeParameter('sessionId', itemIndex) as string).trim();
  Object.assign(partial, { clientKey, sessionId });
  const client = await connectlyClient.call(this, timeouts.call(this, itemIndex));
  const result = await firstValueFrom(client.close({ clientKey, sessionId }, callOptions.call(this)));
  await forgetSession.call(this, itemIndex, {
    baseUrl: client.baseUrl,
    businessId: client.businessId,
    clientKey,
    sessionId,
  });
  outputs[0].push({ json: { ...result, clientKey }, pairedItem: { item: itemIndex } });
}
