// The Connectly node: describes its resources and operations, and hands execution to the router.
import type {
  IExecuteFunctions,
  INodeExecutionData,
  INodeProperties,
  INodePropertyOptions,
  INodeType,
  INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as agent from './actions/agent';
import * as health from './actions/health';
import * as message from './actions/message';
import { CONFIGURED_OUTPUTS } from './actions/node.type';
import { router } from './actions/router';
import * as session from './actions/session';
import { SHARED_STATE_MEMORIES } from './shared/conversation-state';
import { AGENT_CREDENTIAL, MESSAGING_CREDENTIAL_NAMES } from './shared/credentials';
import { LATEST_VERSION, NODE_VERSIONS } from './shared/versions';

const operations: INodeProperties[] = [
  ...agent.description,
  ...session.description,
  ...message.description,
  ...health.description,
];

/** The canvas subtitle: the picked operation's action, as the action list names it (read from the operations' own descriptions). */
function subtitle(properties: INodeProperties[]): string {
  const actions: Record<string, string> = {};
  for (const property of properties) {
    const resource = property.displayOptions?.show?.['resource']?.[0];
    if (property.name !== 'operation' || typeof resource !== 'string') continue;
    for (const option of (property.options ?? []) as INodePropertyOptions[]) {
      if (option.action) actions[`${resource}:${String(option.value)}`] = option.action;
    }
  }
  return `={{ (${JSON.stringify(actions)})[$parameter["resource"] + ":" + $parameter["operation"]] || "" }}`;
}

export class Connectly implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Connectly',
    name: 'connectly',
    icon: { light: 'file:connectly.svg', dark: 'file:connectly.dark.svg' },
    group: ['transform'],
    version: NODE_VERSIONS,
    defaultVersion: LATEST_VERSION,
    subtitle: subtitle(operations),
    description:
      "Talk to a Connectly AI agent: send a customer's messages and get the agent's reply, products and handovers",
    defaults: { name: 'Connectly' },
    usableAsTool: true,
    inputs: [
      NodeConnectionTypes.Main,
      // Optional: a Redis or Postgres Chat Memory keeps holds, sessions and the rest of the conversation's
      // state where every queue-mode worker sees it. Nothing connected: kept in this n8n process.
      {
        type: NodeConnectionTypes.AiMemory,
        displayName: 'Shared State',
        required: false,
        maxConnections: 1,
        filter: { nodes: SHARED_STATE_MEMORIES },
      },
    ],
    outputs: CONFIGURED_OUTPUTS,
    credentials: [
      {
        name: AGENT_CREDENTIAL.type,
        required: true,
        displayOptions: { hide: { resource: ['message'] } },
      },
      {
        name: MESSAGING_CREDENTIAL_NAMES.type,
        required: true,
        displayOptions: { show: { resource: ['message'] } },
      },
    ],
    builderHint: {
      message:
        'Put a Chat Trigger (streaming) before this node to chat with the agent: its chatInput and sessionId fill Text and Customer Key',
      relatedNodes: [
        {
          nodeType: '@n8n/n8n-nodes-langchain.chatTrigger',
          relationHint: "Comes before this node: the customer's chat messages, streamed back as the agent replies",
        },
      ],
    },
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        options: [
          { name: 'Agent', value: 'agent' },
          { name: 'Health', value: 'health' },
          { name: 'Message', value: 'message' },
          { name: 'Session', value: 'session' },
        ],
        default: 'agent',
      },
      ...operations,
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return await router.call(this);
  }
}
