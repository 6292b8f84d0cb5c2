// The Connectly Trigger the node panel lists: the same trigger as connectlyTrigger (which saved workflows
// keep using), under a type name n8n does not fold into the Connectly node's entry.
import type { INodeTypeDescription } from 'n8n-workflow';
import { ConnectlyTrigger, triggerDescription } from '../ConnectlyTrigger/ConnectlyTrigger.node';

export class ConnectlyWhatsAppTrigger extends ConnectlyTrigger {
  override description: INodeTypeDescription = {
    ...triggerDescription,
    name: 'connectlyWhatsAppTrigger',
    icon: { light: 'file:../Connectly/connectly.svg', dark: 'file:../Connectly/connectly.dark.svg' },
    subtitle: '={{ $parameter["deliveryStatuses"] ? "Messages and delivery statuses" : "WhatsApp messages" }}',
  };
}
