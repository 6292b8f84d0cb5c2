// The Connectly API credential: the key travels in the x-api-key header, added by n8n itself.
import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  Icon,
  INodeProperties,
} from 'n8n-workflow';
import { API_PATH } from 'connectly-agent-graph/wire';

export class ConnectlyApi implements ICredentialType {
  name = 'connectlyApi';

  displayName = 'Connectly API';

  icon: Icon = { light: 'file:../nodes/Connectly/connectly.svg', dark: 'file:../nodes/Connectly/connectly.dark.svg' };

  documentationUrl = 'https://docs.connectly.ai/ai/agent-graph-overview';

  properties: INodeProperties[] = [
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      hint: 'Connectly issues the API key with your Business ID (ask your Connectly contact if you have neither). It travels only to the Base URL below, in the x-api-key header.',
    },
    {
      displayName: 'Business ID',
      name: 'businessId',
      type: 'string',
      default: '',
      required: true,
      hint: 'The business the API key belongs to, issued by Connectly together with the key',
    },
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'https://api.connectly.ai',
      hint: 'Change only for a proxy or a test server. If the test says ECONNREFUSED, ENOTFOUND or ETIMEDOUT, n8n cannot reach this address: check it and your network or proxy settings.',
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: { headers: { 'x-api-key': '={{$credentials.apiKey}}' } },
  };

  // n8n reports a refused or unknown host as a connection problem and a 401/403 as an authorization failure.
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
          message:
            'Connectly does not accept this API key: paste the key Connectly issued to your business again, without spaces',
        },
      },
      {
        type: 'responseCode',
        properties: {
          value: 403,
          message:
            'The API key is valid but not for this Business ID: use the Business ID Connectly issued together with this key',
        },
      },
    ],
  };
}
