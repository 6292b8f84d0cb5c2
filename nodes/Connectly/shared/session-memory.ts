// Where the node remembers each customer's Connectly session between executions: one session store per
// API address, held by this module, so every execution in this n8n process (manual, webhook, trigger,
// any workflow) shares it. n8n offers a community node no storage that is shared by queue-mode workers
// and atomic: its data tables are served only to its own Data Table nodes, and workflow static data is
// written whole at the end of each execution (and dropped by queue-mode workers), so two executions at
// once would both start a session. Memory in the process keeps the core's guarantees in one process.
// The handover holds live beside the sessions, with the same reach: each queue-mode worker holds its own.
import {
  HandoverHolds,
  MemorySessionStore,
  type ReplyChoices,
  type SessionStore,
  keepChoices,
  sessionKey,
} from 'connectly-agent-graph';

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

// The choices (suggestions, reply buttons, list rows) Message → Send offered each customer, so that a tap
// reaches the agent whole: WhatsApp cuts button titles to 20 characters. Kept by the message that offered
// them (a tap names its message, and every reply reuses `sugg:0`…), as long as WhatsApp lets the business
// answer (24 hours), for at most 10 000 customers and their 50 newest choices.
const CHOICES_TTL_MS = 24 * 60 * 60 * 1000;
const CHOICES_CUSTOMERS = 10_000;
const CHOICES_PER_CUSTOMER = 50;
const offered = new Map<string, { choices: ReplyChoices; at: number }>();

/** Remembers the choices just offered to a customer (`sentChoices` of the reply) as the newest. */
export function rememberChoices(businessId: string, clientKey: string, choices: ReplyChoices, now = Date.now()): void {
  const key = sessionKey(businessId, clientKey);
  const previous = offered.get(key);
  offered.delete(key);
  const kept = previous && now - previous.at < CHOICES_TTL_MS ? previous.choices : {};
  offered.set(key, { choices: keepChoices(kept, choices, CHOICES_PER_CUSTOMER), at: now });
  // Map order is insertion order: the first entry is the customer offered choices longest ago.
  if (offered.size > CHOICES_CUSTOMERS) offered.delete(offered.keys().next().value as string);
}

/** The choices offered to a customer in the last 24 hours (none when there were none). */
export function offeredChoices(businessId: string, clientKey: string, now = Date.now()): ReplyChoices {
  const entry = offered.get(sessionKey(businessId, clientKey));
  return entry && now - entry.at < CHOICES_TTL_MS ? entry.choices : {};
}
