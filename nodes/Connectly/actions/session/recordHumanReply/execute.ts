// Session → Record Human Reply: a person wrote to the customer (from Connectly's inbox), so the
// conversation is held for them, and the agent will hear the text as its own message when it resumes.
import type { IExecuteFunctions } from 'n8n-workflow';
import type { PartialResult } from '../../../shared/context';
import { holdFields, readCustomer } from '../../../shared/holds';
import type { Outputs } from '../../../shared/items';
import { handoverHolds } from '../../../shared/session-memory';
import { connectlyClient } from '../../../shared/transport';

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
  const { holds, key } = handoverHolds(client.baseUrl, client.businessId, clientKey);
  const recorded = typeof text === 'string' && text.trim() !== '';
  holds.recordHumanReply(key, recorded ? text : '');
  outputs[0].push({ json: { clientKey, recorded, ...holdFields(holds, key) }, pairedItem: { item: itemIndex } });
}
