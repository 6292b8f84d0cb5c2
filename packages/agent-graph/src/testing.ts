// connectly-agent-graph/testing: the conformance suite a ConversationStore implementation runs in its
// own tests, to prove it keeps the contract the conversation loop relies on.

export {
  conversationStoreConformance,
  type ConformanceCase,
  type ConformanceOptions,
  type OpenConversationStore,
} from './conversation/conformance.js';
export type { CaseBody, CaseContext } from './conversation/conformance-types.js';
