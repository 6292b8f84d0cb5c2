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

/** The chat memory a shared-state workflow connects to its Connectly nodes' Shared State input, if any. */
export type SharedStateMemory =
  { kind: 'redis'; credential: CredentialRef } | { kind: 'postgres'; credential: CredentialRef } | undefined;

interface CredentialRef {
  id: string;
  name: string;
}

function node(name: string, type: string, typeVersion: number, parameters: object, extra: object = {}) {
  return { id: randomUUID(), name, type, typeVersion, position: [0, 0], parameters, ...extra };
}

const connectlyNode = (name: string, parameters: object, credentials: object) =>
  node(name, 'n8n-nodes-connectly.connectly', 1.1, parameters, { credentials });

const to = (target: string, type = 'main') => ({ node: target, type, index: 0 });

/** The memory sub-node, keyed per customer ("Define below": the same key in every workflow and worker). */
function memoryNode(memory: SharedStateMemory, sessionKey: string) {
  if (memory === undefined) return undefined;
  return memory.kind === 'redis'
    ? node(
        'Shared state',
        '@n8n/n8n-nodes-langchain.memoryRedisChat',
        1.6,
        { sessionIdType: 'customKey', sessionKey, sessionTTL: 0 },
        { credentials: { redis: memory.credential } },
      )
    : node(
        'Shared state',
        '@n8n/n8n-nodes-langchain.memoryPostgresChat',
        1.4,
        { sessionIdType: 'customKey', sessionKey },
        { credentials: { postgres: memory.credential } },
      );
}

/** The workflow: its nodes, plus the memory on the Shared State input of every Connectly node named. */
function withMemory(
  id: string,
  nodes: object[],
  connections: Record<string, object>,
  memory: ReturnType<typeof memoryNode>,
  connectlyNodes: string[],
) {
  return {
    id,
    name: id,
    active: false,
    settings: { executionOrder: 'v1' },
    nodes: memory ? [...nodes, memory] : nodes,
    connections: memory
      ? { ...connections, [memory.name]: { ai_memory: [connectlyNodes.map((target) => to(target, 'ai_memory'))] } }
      : connections,
  };
}

/**
 * A conversation's steps in one workflow, one webhook each (POST `{customerId, message | text}`):
 * `<path>-message` (Agent → Send Message, remembering the customer's session; a held conversation's message
 * answers from the Handover output), `<path>-human` (Session → Record Human Reply) and `<path>-release`
 * (Session → Release). Each answers with its item's JSON plus `output` (the output it came from). With
 * `memory`, one chat memory sub-node, keyed per customer, is on all three Connectly nodes' Shared State input.
 */
export function sharedStateWorkflow(id: string, path: string, connectly: CredentialRef, memory: SharedStateMemory) {
  const credentials = { connectlyApi: connectly };
  const webhook = (name: string, step: string) =>
    node(
      name,
      'n8n-nodes-base.webhook',
      2.1,
      { httpMethod: 'POST', path: `${path}-${step}`, responseMode: 'responseNode', options: {} },
      { webhookId: randomUUID() },
    );
  const respond = (name: string, output: string) =>
    node(name, 'n8n-nodes-base.respondToWebhook', 1.1, {
      respondWith: 'json',
      responseBody: `={{ JSON.stringify(Object.assign({ output: '${output}' }, $json)) }}`,
      options: {},
    });
  const customer = '={{ $json.body.customerId }}';
  const nodes = [
    webhook('Customer message', 'message'),
    webhook('Teammate reply', 'human'),
    webhook('Give back', 'release'),
    connectlyNode(
      'Agent',
      {
        resource: 'agent',
        operation: 'sendMessage',
        clientKey: customer,
        sessionId: '',
        inputType: 'text',
        text: '={{ $json.body.message }}',
        output: 'reply',
        options: {},
      },
      credentials,
    ),
    connectlyNode(
      'Record human reply',
      { resource: 'session', operation: 'recordHumanReply', clientKey: customer, text: '={{ $json.body.text }}' },
      credentials,
    ),
    connectlyNode(
      'Release',
      { resource: 'session', operation: 'release', clientKey: customer, options: {} },
      credentials,
    ),
    respond('Answer reply', 'reply'),
    respond('Answer held', 'handover'),
    respond('Answer recorded', 'recorded'),
    respond('Answer released', 'released'),
  ];
  const connections = {
    'Customer message': { main: [[to('Agent')]] },
    'Teammate reply': { main: [[to('Record human reply')]] },
    'Give back': { main: [[to('Release')]] },
    Agent: { main: [[to('Answer reply')], [to('Answer held')]] },
    'Record human reply': { main: [[to('Answer recorded')]] },
    Release: { main: [[to('Answer released')]] },
  };
  return withMemory(id, nodes, connections, memoryNode(memory, '=connectly-{{ $json.body.customerId }}'), [
    'Agent',
    'Record human reply',
    'Release',
  ]);
}

/**
 * The WhatsApp loop: the Connectly WhatsApp Trigger's Customer output → Agent → Message → Send, its Human
 * Agent output → Record Human Reply; with `memory` on all three Connectly nodes' Shared State input.
 */
export function sharedLoopWorkflow(
  id: string,
  webhookId: string,
  credentials: { connectlyApi: CredentialRef; connectlyMessagingApi: CredentialRef },
  memory: SharedStateMemory,
) {
  const nodes = [
    node(
      'Connectly Trigger',
      'n8n-nodes-connectly.connectlyWhatsAppTrigger',
      1,
      { deliveryStatuses: false, options: {} },
      { webhookId, credentials: { connectlyMessagingApi: credentials.connectlyMessagingApi } },
    ),
    connectlyNode(
      'Ask the agent',
      {
        resource: 'agent',
        operation: 'sendMessage',
        clientKey: '={{ $json.clientKey }}',
        sessionId: '',
        inputType: 'events',
        inputEvents: '={{ JSON.stringify($json.inputEvents) }}',
        output: 'reply',
        options: { rawEvents: true },
      },
      { connectlyApi: credentials.connectlyApi },
    ),
    connectlyNode(
      'Send the reply',
      { resource: 'message', operation: 'send', to: '={{ $json.clientKey }}', content: 'agentReply', options: {} },
      { connectlyMessagingApi: credentials.connectlyMessagingApi },
    ),
    connectlyNode(
      'Record human reply',
      {
        resource: 'session',
        operation: 'recordHumanReply',
        clientKey: '={{ $json.clientKey }}',
        text: '={{ $json.text }}',
      },
      { connectlyApi: credentials.connectlyApi },
    ),
  ];
  const connections = {
    'Connectly Trigger': { main: [[to('Ask the agent')], [to('Record human reply')], []] },
    'Ask the agent': { main: [[to('Send the reply')], []] },
  };
  return withMemory(id, nodes, connections, memoryNode(memory, '=connectly-{{ $json.clientKey }}'), [
    'Ask the agent',
    'Send the reply',
    'Record human reply',
  ]);
}
