// The Connectly Messaging API credential (webhooks and WhatsApp sends): the key travels in the x-api-key
// header, added by n8n itself; the webhook secret only checks the signatures of Connectly's deliveries.
import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  Icon,
  INodeProperties,
} from 'n8n-workflow';

export class ConnectlyMessagingApi implements ICredentialType {
  name = 'connectlyMessagingApi';

  displayName = 'Connectly Messaging API';

  icon: Icon = { light: 'file:../nodes/Connectly/connectly.svg', dark: 'file:../nodes/Connectly/connectly.dark.svg' };

  documentationUrl = 'https://docs.connectly.ai/messaging/webhooks';

  properties: INodeProperties[] = [
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      hint: "Your business's general Connectly API key (the AI-only key of the Agent Graph cannot send WhatsApp messages). It travels only to the Base URL below, in the x-api-key header.",
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
      displayName: 'Webhook Secret',
      name: 'webhookSecret',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      hint: 'The secret Connectly signs webhook deliveries with (ask your Connectly contact). The Connectly Trigger refuses every delivery whose signature does not match it.',
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

  // Listing the webhooks reads nothing private and proves both the key and the Business ID.
  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: '=/v1/businesses/{{encodeURIComponent($credentials.businessId)}}/webhooks',
      method: 'GET',
      disableFollowRedirect: true,
      sendCredentialsOnCrossOriginRedirect: false,
    },
    rules: [
      {
        type: 'responseCode',
        properties: {
          value: 401,
          message:
            'Connectly does not accept this API key: paste the general API key Connectly issued to your business again, without spaces',
        },
      },
      {
        type: 'responseCode',
        properties: {
          value: 403,
          message: 'The API key is valid but may not use the Messaging API: ask Connectly for a general API key',
        },
      },
      {
        type: 'responseCode',
        properties: {
          value: 404,
          message: 'Connectly knows no business with this Business ID: use the one issued together with the key',
        },
      },
    ],
  };
}
