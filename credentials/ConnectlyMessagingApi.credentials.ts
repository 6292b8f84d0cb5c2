// The credential of WhatsApp messages (Connectly's Message and Webhook APIs): its Messaging Key travels in
// the x-api-key header, added by n8n itself; the Webhook Secret only checks the signatures of Connectly's
// deliveries. Its test fails without a Webhook Secret, naming it.
import type { ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import {
  AGENT_CREDENTIAL,
  authenticateMessaging,
  BASE_URL_HINT,
  CREDENTIAL_TEST_HEADER,
  MESSAGING_CREDENTIAL_NAMES,
} from '../nodes/Connectly/shared/credentials';

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
      hint: BASE_URL_HINT,
    },
  ];

  authenticate = authenticateMessaging;

  // Listing the webhooks reads nothing private and proves both the key and the Business ID; the marker
  // header makes the test fail first when the Webhook Secret is empty (see authenticateMessaging).
  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: '=/v1/businesses/{{encodeURIComponent($credentials.businessId)}}/webhooks',
      method: 'GET',
      headers: { [CREDENTIAL_TEST_HEADER]: '1' },
      disableFollowRedirect: true,
      sendCredentialsOnCrossOriginRedirect: false,
    },
    rules: [
      {
        type: 'responseCode',
        properties: {
          value: 401,
          message: `Connectly does not accept this ${MESSAGING_CREDENTIAL_NAMES.key}: paste your business's ${MESSAGING_CREDENTIAL_NAMES.key} again, without spaces (the ${AGENT_CREDENTIAL.key} cannot send WhatsApp messages)`,
        },
      },
      {
        type: 'responseCode',
        properties: {
          value: 403,
          message: `The key is valid but may not send WhatsApp messages: ask Connectly for your business's ${MESSAGING_CREDENTIAL_NAMES.key} (the ${AGENT_CREDENTIAL.key} cannot)`,
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
