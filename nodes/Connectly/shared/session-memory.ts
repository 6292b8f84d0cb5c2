// Where the node remembers each customer's Connectly session between executions: one session store per
// API address, held by this module, so every execution in this n8n process (manual, webhook, trigger,
// any workflow) shares it. n8n offers a community node no storage that is shared by queue-mode workers
// and atomic: its data tables are served only to its own Data Table nodes, and workflow static data is
// written whole at the end of each execution (and dropped by queue-mode workers), so two executions at
// once would both start a session. Memory in the process keeps the core's guarantees in one process.
// The conversation's own state (holds, choices, deliveries) has the same reach: conversation-state.ts.
import { MemorySessionStore, type SessionStore, sessionKey } from 'connectly-agent-graph';

const stores = new Map<string, SessionStore>();

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
