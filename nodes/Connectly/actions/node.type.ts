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
