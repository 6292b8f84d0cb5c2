// The credential of the AI agent (Connectly's AI Agent Graph): its AI Agent Key travels in the x-api-key
// header, added by n8n itself.
import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  Icon,
  INodeProperties,
} from 'n8n-workflow';
import { API_PATH } from 'connectly-agent-graph/wire';
import { AGENT_CREDENTIAL, BASE_URL_HINT, MESSAGING_CREDENTIAL_NAMES } from '../nodes/Connectly/shared/credentials';

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
      hint: BASE_URL_HINT,
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: { headers: { 'x-api-key': '={{$credentials.apiKey}}' } },
  };

  // n8n reports a refused or unknown host by its code (see the Base URL's hint) and a 401/403 with these words.
  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: `${API_PATH}/health`,
      method: 'POST',
      body: { businessId: '={{$credentials.businessId}}', clientKey: 'credential-check' },
      json: true,
      // As in the node: a redirect is refused, never followed with the key to wherever it points.
      disableFollowRedirect: true,
      sendCredentialsOnCrossOriginRedirect: false,
    },
    rules: [
      {
        type: 'responseCode',
        properties: {
          value: 401,
          message: `Connectly does not accept this ${AGENT_CREDENTIAL.key}: paste the key Connectly issued for your AI agent again, without spaces`,
        },
      },
      {
        type: 'responseCode',
        properties: {
          value: 403,
          message: `The ${AGENT_CREDENTIAL.key} is valid but not for this Business ID: use the Business ID Connectly issued together with this key`,
        },
      },
    ],
  };
}
