// The credential of WhatsApp messages (Connectly's Message and Webhook APIs): its Messaging Key travels in
// the x-api-key header, added by n8n itself; the Webhook Secret only checks the signatures of Connectly's
// deliveries. Its test is the nodes' (testedBy): it fails without a Webhook Secret and says in words what failed.
import type { IAuthenticateGeneric, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { AGENT_CREDENTIAL, MESSAGING_CREDENTIAL_NAMES } from '../nodes/Connectly/shared/credentials';

export class ConnectlyMessagingApi implements ICredentialType {
  // Kept as saved workflows name it.
  name = MESSAGING_CREDENTIAL_NAMES.type;

  displayName = MESSAGING_CREDENTIAL_NAMES.displayName;

  icon: Icon = { light: 'file:../nodes/Connectly/connectly.svg', dark: 'file:../nodes/Connectly/connectly.dark.svg' };

  documentationUrl = 'https://github.com/n8n-nodes-connectly/n8n-nodes-connectly/blob/main/docs/n8n.md#credentials';

  properties: INodeProperties[] = [
    {
      displayName: MESSAGING_CREDENTIAL_NAMES.key,
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      hint: `Your business's key for WhatsApp messages and webhooks at Connectly (ask your Connectly contact). The ${AGENT_CREDENTIAL.key} cannot send WhatsApp messages.`,
    },
    {
      displayName: 'Business ID',
      name: 'businessId',
      type: 'string',
      default: '',
      required: true,
      hint: 'Your business at Connectly, issued together with the key',
    },
    {
      displayName: 'Webhook Secret',
      name: 'webhookSecret',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      hint: 'Proves that a message really comes from Connectly: the Connectly Trigger turns away any delivery not signed with it. Ask your Connectly contact for it.',
    },
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'https://api.connectly.ai',
      hint: 'Leave as it is, unless Connectly gave you another address (a test server or a proxy). The key is sent only to this address.',
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: { headers: { 'x-api-key': '={{$credentials.apiKey}}' } },
  };
}
