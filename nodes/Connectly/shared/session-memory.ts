// Where the node remembers each customer's Connectly session between executions: one session store per
// API address, held by this module, so every execution in this n8n process (manual, webhook, trigger,
// any workflow) shares it. n8n offers a community node no storage that is shared by queue-mode workers
// and atomic: its data tables are served only to its own Data Table nodes, and workflow static data is
// written whole at the end of each execution (and dropped by queue-mode workers), so two executions at
// once would both start a session. Memory in the process keeps the core's guarantees in one process.
// The handover holds live beside the sessions, with the same reach: each queue-mode worker holds its own.
import { HandoverHolds, MemorySessionStore, type SessionStore, sessionKey } from 'connectly-agent-graph';

const stores = new Map<string, SessionStore>();
const holds = new Map<string, HandoverHolds>();

/**
 * The store of the sessions started through `baseUrl`: the core keys each session by business and
 * customer only, so one store per API address keeps two Connectly servers (production and a test one) apart.
 */
export function sessionMemory(baseUrl: string): SessionStore {
  let store = stores.get(baseUrl);
  if (store === undefined) {
    store = new MemorySessionStore();
    stores.set(baseUrl, store);
  }
  return store;
}

/** Forgets `sessionId` when it is the session remembered for the customer (after it was closed). */
export async function forgetSession(
  baseUrl: string,
  businessId: string,
  clientKey: string,
  sessionId: string,
): Promise<void> {
  await stores.get(baseUrl)?.delete(sessionKey(businessId, clientKey), sessionId);
}

/**
 * The handover holds of the conversations reached through `baseUrl`, and the key of one customer's: held
 * while a person has the conversation, with what was said meanwhile kept for the agent.
 */
export function handoverHolds(
  baseUrl: string,
  businessId: string,
  clientKey: string,
): { holds: HandoverHolds; key: string } {
  let registry = holds.get(baseUrl);
  if (registry === undefined) {
    registry = new HandoverHolds();
    holds.set(baseUrl, registry);
  }
  return { holds: registry, key: sessionKey(businessId, clientKey) };
}
