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
      description: 'Your Connectly API key. It is sent in the x-api-key header.',
    },
    {
      displayName: 'Business ID',
      name: 'businessId',
      type: 'string',
      default: '',
      required: true,
      description: 'Your Connectly business ID',
    },
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'https://api.connectly.ai',
      description: 'Change only to use a proxy or a test server',
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
    },
  };
}
