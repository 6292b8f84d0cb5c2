// The Connectly node's resources and their operations, as one type: the router dispatches on it, and
// the map below must hold an `execute` for every pair it names.
import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
  agent: 'sendMessage' | 'sendMessageAndWait';
  health: 'check';
  message: 'send';
  session: 'start' | 'close' | 'release' | 'recordHumanReply';
};

export type ConnectlyType = AllEntities<NodeMap>;

export type ConnectlyResource = ConnectlyType['resource'];

/** The operations whose agent may hand over: only they have the second output, Handover. */
export const HANDOVER_OPERATIONS: {
  [R in ConnectlyResource]?: Array<Extract<ConnectlyType, { resource: R }>['operation']>;
} = { agent: ['sendMessage', 'sendMessageAndWait'], session: ['release'] };

export function hasHandoverOutput(resource: string, operation: string): boolean {
  const operations: readonly string[] | undefined = Object.hasOwn(HANDOVER_OPERATIONS, resource)
    ? HANDOVER_OPERATIONS[resource as ConnectlyResource]
    : undefined;
  return operations?.includes(operation) ?? false;
}

/**
 * The node's outputs as n8n reads them from its parameters (evaluated by the editor and the engine):
 * Reply and Handover for the operations above, one output for the rest.
 */
export const CONFIGURED_OUTPUTS: `={{${string}}}` = `={{ (${JSON.stringify(HANDOVER_OPERATIONS)}[$parameter.resource] || []).includes($parameter.operation) ? [{ "type": "main", "displayName": "Reply" }, { "type": "main", "displayName": "Handover" }] : ["main"] }}`;
