// The Connectly node: describes the operations and dispatches each input item to one of them.
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as sendMessage from './actions/agent/sendMessage/execute';
import { description as sendMessageFields } from './actions/agent/sendMessage/description';
import * as sendMessageAndWait from './actions/agent/sendMessageAndWait/execute';
import { description as sendMessageAndWaitFields } from './actions/agent/sendMessageAndWait/description';
import * as healthCheck from './actions/health/check/execute';
import { description as healthCheckFields } from './actions/health/check/description';
import * as sessionClose from './actions/session/close/execute';
import { description as sessionCloseFields } from './actions/session/close/description';
import * as sessionStart from './actions/session/start/execute';
import { description as sessionStartFields } from './actions/session/start/description';
import type { Partial } from './shared/context';
import { type Outputs, newOutputs, toNodeError } from './shared/items';

type Operation = (this: IExecuteFunctions, itemIndex: number, outputs: Outputs, partial: Partial) => Promise<void>;

const OPERATIONS: Record<string, Record<string, Operation>> = {
  agent: { sendMessage: sendMessage.execute, sendMessageAndWait: sendMessageAndWait.execute },
  session: { start: sessionStart.execute, close: sessionClose.execute },
  health: { check: healthCheck.execute },
};

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
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        displayOptions: { show: { resource: ['agent'] } },
        options: [
          {
            name: 'Send Message',
            value: 'sendMessage',
            action: 'Send a message and stream the reply',
            description: "Send the customer's message; the agent's reply streams in as it is produced",
          },
          {
            name: 'Send Message and Wait',
            value: 'sendMessageAndWait',
            action: 'Send a message and wait for the whole reply',
            description: "Send the customer's message and get the agent's reply in one piece",
          },
        ],
        default: 'sendMessage',
      },
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        displayOptions: { show: { resource: ['session'] } },
        options: [
          {
            name: 'Start',
            value: 'start',
            action: 'Start a session',
            description: 'Start a conversation with one customer',
          },
          { name: 'Close', value: 'close', action: 'Close a session', description: 'End a conversation' },
        ],
        default: 'start',
      },
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        displayOptions: { show: { resource: ['health'] } },
        options: [
          { name: 'Check', value: 'check', action: 'Check the API health', description: 'Is the Connectly API up?' },
        ],
        default: 'check',
      },
      ...sendMessageFields,
      ...sendMessageAndWaitFields,
      ...sessionStartFields,
      ...sessionCloseFields,
      ...healthCheckFields,
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const outputs = newOutputs();
    for (let itemIndex = 0; itemIndex < items.length; itemIndex += 1) {
      const partial: Partial = {};
      try {
        const resource = this.getNodeParameter('resource', itemIndex) as string;
        const operation = this.getNodeParameter('operation', itemIndex) as string;
        const run = OPERATIONS[resource]?.[operation];
        if (!run) throw new Error(`The operation "${operation}" is not supported for "${resource}"`);
        await run.call(this, itemIndex, outputs, partial);
      } catch (error) {
        const nodeError = toNodeError(this.getNode(), error, itemIndex);
        if (!this.continueOnFail()) throw nodeError;
        // The error item keeps what was already known or received, so nothing is silently lost.
        const json: IDataObject = { error: nodeError.message, ...JSON.parse(JSON.stringify(partial)) };
        if (nodeError.description) json.errorDescription = nodeError.description;
        // n8n swaps connection errors for its generic wording; keep ours, which names the host and the fix.
        const original = error instanceof Error ? error.message : undefined;
        if (original && original !== nodeError.message) json.errorDetails = original;
        outputs[0].push({ json, pairedItem: { item: itemIndex } });
      }
    }
    return outputs;
  }
}
