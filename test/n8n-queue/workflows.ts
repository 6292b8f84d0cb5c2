// What the queue-mode suite and bench set up besides the example workflows: the data table the sessions
// example keeps its rows in, and the baseline built without the node (n8n's HTTP Request nodes).
import { randomUUID } from 'node:crypto';
import type { DataTableDefinition } from './cluster';

/** The table `examples/n8n/queue-mode-sessions.json` names: one row per customer's session claim. */
export const SESSIONS_TABLE: DataTableDefinition = {
  name: 'connectly_sessions',
  columns: [
    { name: 'clientKey', type: 'string' },
    { name: 'sessionId', type: 'string' },
  ],
};

/**
 * The handover example's contract (POST `{message, customerId}`, answer `{reply, sessionId, handover}`) built
 * from n8n's own nodes: HTTP Request to init, HTTP Request to invoke_sync, Respond to Webhook.
 */
export function httpRequestBaseline(
  id: string,
  path: string,
  api: { baseUrl: string; apiKey: string; businessId: string },
) {
  const url = (endpoint: string) => `${api.baseUrl}/external/v1/ai/agent_graph/${endpoint}`;
  const request = (name: string, endpoint: string, body: string, x: number) => ({
    id: randomUUID(),
    name,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position: [x, 0],
    parameters: {
      method: 'POST',
      url: url(endpoint),
      sendHeaders: true,
      headerParameters: { parameters: [{ name: 'x-api-key', value: api.apiKey }] },
      sendBody: true,
      specifyBody: 'json',
      jsonBody: body,
      options: {},
    },
  });
  const customer = "$('Customer message').item.json.body";
  return {
    id,
    name: id,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: [
      {
        id: randomUUID(),
        name: 'Customer message',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2.1,
        position: [0, 0],
        webhookId: randomUUID(),
        parameters: { httpMethod: 'POST', path, responseMode: 'responseNode', options: {} },
      },
      request(
        'Start session',
        'init',
        `={{ JSON.stringify({ businessId: '${api.businessId}', clientKey: ${customer}.customerId }) }}`,
        250,
      ),
      request(
        'Send message',
        'invoke_sync',
        `={{ JSON.stringify({ businessId: '${api.businessId}', clientKey: ${customer}.customerId, sessionId: $json.response.sessionId, inputEvents: [{ messageEvent: { role: 'USER', content: { textContent: { text: ${customer}.message } } } }] }) }}`,
        500,
      ),
      {
        id: randomUUID(),
        name: 'Answer the customer',
        type: 'n8n-nodes-base.respondToWebhook',
        typeVersion: 1.1,
        position: [750, 0],
        parameters: {
          respondWith: 'json',
          responseBody:
            "={{ JSON.stringify({ reply: $json.response.responseEvents.filter(e => e.messageEvent).map(e => e.messageEvent.content.textContent.text).join('\\n\\n'), sessionId: $json.response.sessionId, handover: $json.response.responseEvents.some(e => e.agentHandoverEvent && e.agentHandoverEvent.triggerHandover) }) }}",
          options: {},
        },
      },
    ],
    connections: {
      'Customer message': { main: [[{ node: 'Start session', type: 'main', index: 0 }]] },
      'Start session': { main: [[{ node: 'Send message', type: 'main', index: 0 }]] },
      'Send message': { main: [[{ node: 'Answer the customer', type: 'main', index: 0 }]] },
    },
  };
}
