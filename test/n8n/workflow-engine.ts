// Runs a saved n8n workflow file as n8n loads and runs it: n8n-workflow's Workflow fills every node's
// parameters with the defaults of the node's saved version, n8n's expression engine resolves them per
// item, n8n reads the node's outputs from its parameters, and each node's items go on along the
// workflow's connections. The Connectly node runs through the harness's execute context (real HTTP).
import {
  type IConnections,
  type IDataObject,
  type INode,
  type INodeExecutionData,
  type INodeParameters,
  type INodeType,
  type INodeTypes,
  type IRunExecutionData,
  type ITaskData,
  type IVersionedNodeType,
  type NodeParameterValueType,
  NodeHelpers,
  Workflow,
} from 'n8n-workflow';
import { Connectly } from '../../nodes/Connectly/Connectly.node';
import { runNode } from './harness';

export const CONNECTLY_TYPE = 'n8n-nodes-connectly.connectly';
const MANUAL_TRIGGER = 'n8n-nodes-base.manualTrigger';

/** n8n's Manual Trigger as the engine sees it: a trigger with one output, its items the pinned ones or one empty item. */
const manualTrigger: INodeType = {
  description: {
    displayName: 'Manual Trigger',
    name: 'manualTrigger',
    group: ['trigger'],
    version: 1,
    description: 'Runs the workflow on a click',
    defaults: { name: 'When clicking ‘Execute workflow’' },
    inputs: [],
    outputs: ['main'],
    properties: [],
  },
};

const connectly = new Connectly();

/** The node types a saved workflow of this package may hold, under their n8n type names. */
export const nodeTypes: INodeTypes = {
  getByName: (type: string): INodeType | IVersionedNodeType => byName(type),
  getByNameAndVersion: (type: string): INodeType => byName(type),
  getKnownTypes: () => ({}),
};

function byName(type: string): INodeType {
  if (type === CONNECTLY_TYPE) return connectly;
  if (type === MANUAL_TRIGGER) return manualTrigger;
  throw new Error(`The saved-workflow tests know no node type "${type}": use the Manual Trigger and Connectly`);
}

/** A workflow file as n8n exports it. */
export interface WorkflowFile {
  id?: string;
  name: string;
  nodes: INode[];
  connections: IConnections;
  pinData?: Record<string, Array<{ json: IDataObject }>>;
}

export const workflowOf = (file: WorkflowFile): Workflow =>
  new Workflow({ nodes: file.nodes, connections: file.connections, active: false, nodeTypes });

/** The outputs n8n shows for a node of the workflow, read from its parameters as the editor and the engine do. */
export function nodeOutputs(workflow: Workflow, nodeName: string): string[] {
  const node = workflow.getNode(nodeName);
  if (!node) throw new Error(`No node "${nodeName}" in the workflow`);
  return NodeHelpers.getNodeOutputs(workflow, node, byName(node.type).description).map((output) =>
    typeof output === 'string' ? output : (output.displayName ?? output.type),
  );
}

/** What each node output, by node name: one list of items per output. */
export type RunOutputs = Record<string, IDataObject[][]>;

export interface RunWorkflowOptions {
  credentials: IDataObject;
  messagingCredentials?: IDataObject;
}

/**
 * Runs the workflow from its Manual Trigger (its pinned items, or one empty item), each node once with all
 * the items that reach it (every workflow here has one path into each node), in the order of n8n's v1
 * execution: each branch to its end, branches in the order of the outputs. A node's error fails the run,
 * as it fails an n8n execution.
 */
export async function runWorkflow(file: WorkflowFile, options: RunWorkflowOptions): Promise<RunOutputs> {
  const workflow = workflowOf(file);
  const trigger = Object.values(workflow.nodes).find((node) => node.type === MANUAL_TRIGGER);
  if (!trigger) throw new Error(`Workflow "${file.name}" has no Manual Trigger to start from`);
  const runData: Record<string, ITaskData[]> = {};
  const runExecutionData = { resultData: { runData } } as unknown as IRunExecutionData;
  const outputs: RunOutputs = {};
  const record = (node: INode, main: INodeExecutionData[][]): void => {
    runData[node.name] = [
      { startTime: 0, executionTime: 0, executionIndex: 0, source: [], data: { main } } as unknown as ITaskData,
    ];
    outputs[node.name] = main.map((items) => items.map((item) => item.json));
  };
  const pinned = file.pinData?.[trigger.name];
  record(trigger, [pinned?.length ? pinned.map((item) => ({ json: item.json })) : [{ json: {} }]]);

  // Next to run first: a node's children go ahead of what waits, so each branch runs to its end first.
  const queue: Array<{ node: INode; input: INodeExecutionData[] }> = [];
  const enqueueChildren = (node: INode): void => {
    const main = runData[node.name]?.[0]?.data?.['main'] ?? [];
    const children: typeof queue = [];
    (workflow.connectionsBySourceNode[node.name]?.['main'] ?? []).forEach((targets, outputIndex) => {
      const items = main[outputIndex] ?? [];
      if (items.length === 0) return;
      for (const target of targets ?? []) {
        const child = workflow.getNode(target.node);
        if (child) children.push({ node: child, input: items.map((item) => ({ json: item.json })) });
      }
    });
    queue.unshift(...children);
  };
  enqueueChildren(trigger);
  while (queue.length > 0) {
    const { node, input } = queue.shift()!;
    if (node.type !== CONNECTLY_TYPE) throw new Error(`Only Connectly nodes run here, not "${node.type}"`);
    const parameters = (itemIndex: number): IDataObject =>
      resolve(workflow, node, node.parameters, runExecutionData, itemIndex, input);
    const run = await runNode(parameters, {
      credentials: options.credentials,
      messagingCredentials: options.messagingCredentials,
      input: input.map((item) => item.json),
      typeVersion: node.typeVersion,
      continueOnFail: node.onError === 'continueRegularOutput',
    });
    const shown = nodeOutputs(workflow, node.name).length;
    if (run.outputs.length !== shown) {
      throw new Error(`${node.name} returned ${run.outputs.length} outputs where n8n shows ${shown}`);
    }
    record(node, run.outputs);
    enqueueChildren(node);
  }
  return outputs;
}

/** A node's parameters for one item: its expressions resolved by n8n's expression engine. */
function resolve(
  workflow: Workflow,
  node: INode,
  parameters: INodeParameters,
  runExecutionData: IRunExecutionData,
  itemIndex: number,
  input: INodeExecutionData[],
): IDataObject {
  return workflow.expression.getParameterValue(
    parameters as unknown as NodeParameterValueType,
    runExecutionData,
    0,
    itemIndex,
    node.name,
    input,
    'manual',
    {},
  ) as unknown as IDataObject;
}
