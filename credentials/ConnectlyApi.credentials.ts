// The credential of the AI agent (Connectly's AI Agent Graph): its AI Agent Key travels in the x-api-key
// header, added by n8n itself. Its test is the Connectly node's (testedBy), which says in words what failed.
import type { IAuthenticateGeneric, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { AGENT_CREDENTIAL, MESSAGING_CREDENTIAL_NAMES } from '../nodes/Connectly/shared/credentials';

export class ConnectlyApi implements ICredentialType {
  // Kept as saved workflows name it.
  name = AGENT_CREDENTIAL.type;

  displayName = AGENT_CREDENTIAL.displayName;

  icon: Icon = { light: 'file:../nodes/Connectly/connectly.svg', dark: 'file:../nodes/Connectly/connectly.dark.svg' };

  documentationUrl = 'https://github.com/n8n-nodes-connectly/n8n-nodes-connectly/blob/main/docs/n8n.md#credentials';

  properties: INodeProperties[] = [
    {
      displayName: AGENT_CREDENTIAL.key,
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      hint: `The key that lets n8n talk to your Connectly AI agent. Connectly issues it with your Business ID. It cannot send WhatsApp messages: that is the ${MESSAGING_CREDENTIAL_NAMES.key}, in the ${MESSAGING_CREDENTIAL_NAMES.displayName} credential.`,
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
