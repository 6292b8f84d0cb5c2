// The Connectly node: describes its resources and operations, and hands execution to the router.
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as agent from './actions/agent';
import * as health from './actions/health';
import { router } from './actions/router';
import * as session from './actions/session';

export class Connectly implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Connectly',
    name: 'connectly',
    icon: { light: 'file:connectly.svg', dark: 'file:connectly.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description:
      "Talk to a Connectly AI agent: send a customer's messages and get the agent's reply, products and handovers",
    defaults: { name: 'Connectly' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
    outputNames: ['Reply', 'Handover'],
    credentials: [{ name: 'connectlyApi', required: true }],
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        options: [
          { name: 'Agent', value: 'agent' },
          { name: 'Health', value: 'health' },
          { name: 'Session', value: 'session' },
        ],
        default: 'agent',
      },
      ...agent.description,
      ...session.description,
      ...health.description,
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return await router.call(this);
  }
}
