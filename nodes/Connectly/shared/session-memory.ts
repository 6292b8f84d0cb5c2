// Where the node remembers each customer's Connectly session between executions when no memory is on its
// Shared State input: one session store per API address, held by this module, so every execution in this
// n8n process (manual, webhook, trigger, any workflow) shares it. n8n offers a community node no atomic
// storage of its own that queue-mode workers share: its data tables are served only to its own Data Table
// nodes, and workflow static data is written whole at the end of each execution (and dropped by
// queue-mode workers), so two executions at once would both start a session. With Shared State, the
// sessions are kept in the connected chat memory instead, with the conversation's state
// (conversation-state.ts), and every worker sees them.
import type { IExecuteFunctions } from 'n8n-workflow';
import { MemorySessionStore, type SessionStore, sessionKey } from 'connectly-agent-graph';
import { sharedStore } from './conversation-state';

const stores = new Map<string, SessionStore>();

/**
 * The store of the sessions started through `baseUrl`: the core keys each session by business and
 * customer only, so one store per API address keeps two Connectly servers (production and a test one) apart.
 */
function sessionMemory(baseUrl: string): SessionStore {
  let store = stores.get(baseUrl);
  if (store === undefined) {
    store = new MemorySessionStore();
    stores.set(baseUrl, store);
  }
  return store;
}

/**
 * Where the item's customer sessions are remembered: in its Shared State memory when one is connected
 * (every worker sees it), else in this process's memory for `baseUrl`.
 */
export async function rememberedSessions(
  this: IExecuteFunctions,
  itemIndex: number,
  baseUrl: string,
): Promise<SessionStore> {
  return (await sharedStore.call(this, itemIndex)) ?? sessionMemory(baseUrl);
}

/** Forgets `sessionId` when it is the session remembered for the customer (after it was closed). */
export async function forgetSession(
  this: IExecuteFunctions,
  itemIndex: number,
  session: { baseUrl: string; businessId: string; clientKey: string; sessionId: string },
): Promise<void> {
  const store = await rememberedSessions.call(this, itemIndex, session.baseUrl);
  await store.delete(sessionKey(session.businessId, session.clientKey), session.sessionId);
}
