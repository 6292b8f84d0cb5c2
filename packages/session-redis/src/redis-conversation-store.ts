// RedisConversationStore: the ConversationStore of connectly-agent-graph on Redis (ioredis), for a loop
// answered by several processes or machines. The session primitives are RedisSessionStore's; each step
// of the loop is one Lua script or one command, so no process reads a record and then writes it.

import {
  type AutomatedSend,
  type ConversationHold,
  type ConversationStore,
  type DeliveryClaimState,
  type InboxEntry,
  type OfferedChoices,
  type Outbox,
  type OutboxOpened,
  type OutboxToOpen,
  type OutboxSendState,
  type StoredSession,
  ConnectlyError,
  checkStoreArguments,
} from 'connectly-agent-graph';
import type { Redis } from 'ioredis';
import { type RedisConnectionOptions, type Script, connect, disconnect, runScript } from './redis-connection.js';
import { SCRIPTS } from './redis-conversation-scripts.js';
import { RedisSessionStore } from './redis-session-store.js';

export type RedisConversationStoreOptions = RedisConnectionOptions;

/**
 * The conversation loop's state in Redis, shared by every process with the same `prefix`. Keys, after
 * the prefix: `session:` and `lock:` (the session store's), `delivery:<id>`, `hold:<key>`,
 * `choices:<key>`, `inbound:<key>`, `sends:<key>`, `inbox:<key>` (accepted deliveries not yet
 * taken by a turn), `outbox:<key>` (a reply being sent) and `inboxes` (the keys of those holding entries); each expires by the TTL its call gives (a list by its
 * newest entry), so nothing outlives what it was kept for. Expiry is by the Redis server's clock (the
 * scripts read TIME, which needs Redis 5 or newer). Give Redis `maxmemory-policy noeviction`: under a
 * `volatile-*` policy a full Redis could evict a hold or a claim.
 *
 * ```ts
 * const store = new RedisConversationStore({ url: process.env.REDIS_URL, prefix: 'shop:' });
 * ```
 */
export class RedisConversationStore implements ConversationStore {
  /** The ioredis client in use (yours, or the one the store opened). */
  readonly client: Redis;
  /** Put before every key (`connectly:` by default): stores with one prefix share their records. */
  readonly prefix: string;
  readonly #owned: boolean;
  // The session primitives, on the same connection and prefix.
  readonly #sessions: RedisSessionStore;

  constructor(options: RedisConversationStoreOptions) {
    const { client, prefix, owned } = connect('RedisConversationStore', options);
    this.client = client;
    this.prefix = prefix;
    this.#owned = owned;
    this.#sessions = new RedisSessionStore({ client, prefix });
  }

  // What a log shows: never the connection options (the URL may hold a password).
  toJSON(): Record<string, unknown> {
    return { prefix: this.prefix, ownsConnection: this.#owned, status: this.client.status };
  }

  /** The customer's session, as RedisSessionStore keeps it. */
  get(key: string): Promise<StoredSession | undefined> {
    return this.#sessions.get(key);
  }

  /** Stores the customer's session for `ttlMs`. */
  set(key: string, session: StoredSession, ttlMs: number): Promise<void> {
    return this.#sessions.set(key, session, ttlMs);
  }

  /** Deletes the session only while it is still `sessionId`. */
  delete(key: string, sessionId: string): Promise<void> {
    return this.#sessions.delete(key, sessionId);
  }

  /** Takes the customer's turn lock for `owner` (SET NX PX). */
  lock(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.#sessions.lock(key, owner, leaseMs);
  }

  /** Extends the turn lock while `owner` holds it. */
  renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.#sessions.renew(key, owner, leaseMs);
  }

  /** Releases the turn lock when `owner` holds it. */
  unlock(key: string, owner: string): Promise<void> {
    return this.#sessions.unlock(key, owner);
  }

  /** Closes the connection when the store opened it (`{ url }`); a client you passed stays open. */
  async close(): Promise<void> {
    if (this.#owned) await disconnect(this.client);
  }

  async claimDelivery(id: string, options: { token: string; leaseMs: number }): Promise<DeliveryClaimState> {
    checkStoreArguments({ id, token: options.token, leaseMs: options.leaseMs });
    return (await this.script(
      SCRIPTS.claim,
      this.key('delivery', id),
      options.token,
      ms(options.leaseMs),
    )) as DeliveryClaimState;
  }

  async deliveryState(id: string): Promise<'processing' | 'done' | undefined> {
    checkStoreArguments({ id });
    const value = await this.client.get(this.key('delivery', id));
    if (value === null) return undefined;
    return value.startsWith('d:') ? 'done' : 'processing';
  }

  async renewDelivery(id: string, options: { token: string; leaseMs: number }): Promise<boolean> {
    checkStoreArguments({ id, token: options.token, leaseMs: options.leaseMs });
    return (await this.script(SCRIPTS.renew, this.key('delivery', id), options.token, ms(options.leaseMs))) === 1;
  }

  async completeDelivery(id: string, options: { token: string; keepMs: number }): Promise<boolean> {
    checkStoreArguments({ id, token: options.token, keepMs: options.keepMs });
    return (await this.script(SCRIPTS.complete, this.key('delivery', id), options.token, ms(options.keepMs))) === 1;
  }

  async releaseDelivery(id: string, options: { token: string }): Promise<boolean> {
    checkStoreArguments({ id, token: options.token });
    return (await this.script(SCRIPTS.release, this.key('delivery', id), options.token)) === 1;
  }

  async setHold(
    key: string,
    hold: { by: string; reason: string },
    options: { ttlMs: number },
  ): Promise<ConversationHold> {
    checkStoreArguments({ key, by: hold.by, reason: hold.reason, ttlMs: options.ttlMs });
    const fields = await this.script(SCRIPTS.setHold, this.key('hold', key), hold.by, hold.reason, ms(options.ttlMs));
    const found = readHold(fields as Array<string | null>);
    if (found === undefined) {
      throw new ConnectlyError(
        'Redis dropped the hold it had just set: give it `maxmemory-policy noeviction` so that no hold is evicted',
      );
    }
    return found;
  }

  async getHold(key: string): Promise<ConversationHold | undefined> {
    checkStoreArguments({ key });
    return readHold(await this.client.hmget(this.key('hold', key), 'by', 'reason', 'since', 'until'));
  }

  async clearHold(key: string): Promise<boolean> {
    checkStoreArguments({ key });
    return (await this.client.del(this.key('hold', key))) === 1;
  }

  async recordChoices(key: string, offer: OfferedChoices, options: { keep: number; ttlMs: number }): Promise<void> {
    checkStoreArguments({ key, messageId: offer.messageId, at: offer.at, keep: options.keep, ttlMs: options.ttlMs });
    const json = JSON.stringify({ messageId: offer.messageId, choices: offer.choices, at: offer.at });
    await this.script(
      SCRIPTS.recordChoices,
      this.key('choices', key),
      offer.messageId,
      json,
      String(options.keep),
      ms(options.ttlMs),
    );
  }

  async findChoices(key: string, messageId?: string): Promise<OfferedChoices | undefined> {
    checkStoreArguments({ key, messageId }, ['messageId']);
    const json = await this.script(SCRIPTS.findChoices, this.key('choices', key), messageId ?? '');
    return typeof json === 'string' ? (JSON.parse(json) as OfferedChoices) : undefined;
  }

  async noteInbound(key: string, at: number, options: { ttlMs: number }): Promise<number> {
    checkStoreArguments({ key, at, ttlMs: options.ttlMs });
    return Number(await this.script(SCRIPTS.noteInbound, this.key('inbound', key), String(at), ms(options.ttlMs)));
  }

  async lastInbound(key: string): Promise<number | undefined> {
    checkStoreArguments({ key });
    const value = await this.client.get(this.key('inbound', key));
    return value === null ? undefined : Number(value);
  }

  async recordSend(key: string, send: AutomatedSend, options: { keep: number; ttlMs: number }): Promise<void> {
    checkStoreArguments(
      { key, messageId: send.messageId, fingerprint: send.fingerprint, keep: options.keep, ttlMs: options.ttlMs },
      ['messageId'],
    );
    await this.script(
      SCRIPTS.recordSend,
      this.key('sends', key),
      send.messageId ?? '',
      send.fingerprint,
      String(options.keep),
      ms(options.ttlMs),
    );
  }

  async matchEcho(key: string, echo: AutomatedSend): Promise<boolean> {
    checkStoreArguments({ key, messageId: echo.messageId, fingerprint: echo.fingerprint }, ['messageId']);
    return (await this.script(SCRIPTS.matchEcho, this.key('sends', key), echo.messageId ?? '', echo.fingerprint)) === 1;
  }

  async appendInbox(key: string, entry: InboxEntry, options: { ttlMs: number }): Promise<boolean> {
    checkStoreArguments({ key, id: entry.id, payload: entry.payload, at: entry.at, ttlMs: options.ttlMs });
    const json = JSON.stringify({ id: entry.id, payload: entry.payload, at: entry.at });
    const args = [entry.id, json, ms(options.ttlMs), String(entry.at), key];
    return (await runScript(this.client, SCRIPTS.appendInbox, [this.key('inbox', key), this.inboxes], args)) === 1;
  }

  async readInbox(key: string): Promise<InboxEntry[]> {
    checkStoreArguments({ key });
    const entries = await this.client.lrange(this.key('inbox', key), 0, -1);
    return entries.map((json) => JSON.parse(json) as InboxEntry);
  }

  async ackInbox(key: string, ids: readonly string[]): Promise<number> {
    checkStoreArguments({ key });
    const keys = [this.key('inbox', key), this.inboxes];
    return Number(await runScript(this.client, SCRIPTS.ackInbox, keys, [key, ...ids]));
  }

  async pendingInboxes(limit: number): Promise<string[]> {
    checkStoreArguments({ limit });
    const args = [String(limit), `${this.prefix}inbox:`];
    return (await runScript(this.client, SCRIPTS.pendingInboxes, [this.inboxes], args)) as string[];
  }

  async openOutbox(key: string, outbox: OutboxToOpen, options: { keepMs: number }): Promise<OutboxOpened> {
    checkStoreArguments({ key, token: outbox.token, payload: outbox.payload, keepMs: options.keepMs });
    checkStoreArguments({ index: outbox.messages });
    const { token, entries, payload } = outbox;
    const json = JSON.stringify({
      token,
      entries,
      payload,
      states: Array.from({ length: outbox.messages }, () => 'pending'),
    });
    const keys = [this.key('outbox', key), ...entries.map((id) => this.key('delivery', `answered:${id}`))];
    const answer = (await runScript(this.client, SCRIPTS.openOutbox, keys, [
      token,
      ms(options.keepMs),
      json,
      ...entries,
    ])) as string[];
    if (answer[0] === 'opened') return { opened: true, taken: [], open: false };
    if (answer[0] === 'open') return { opened: false, taken: [], open: true };
    return { opened: false, taken: answer, open: false };
  }

  async readOutbox(key: string): Promise<Outbox | undefined> {
    checkStoreArguments({ key });
    const json = await this.client.get(this.key('outbox', key));
    if (json === null) return undefined;
    // cjson writes an empty array as an object: read a non-array as empty.
    const kept = JSON.parse(json) as { token: string; entries: unknown; payload: string; states: unknown };
    const list = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);
    const states = list(kept.states).map(
      (state) => (state.startsWith('sending:') ? 'sending' : state) as OutboxSendState,
    );
    return { token: kept.token, entries: list(kept.entries), payload: kept.payload, states };
  }

  async markOutbox(
    key: string,
    options: { token: string; index: number; state: 'sending' | 'sent'; sender: string },
  ): Promise<boolean> {
    checkStoreArguments({ key, token: options.token, index: options.index, sender: options.sender });
    const args = [options.token, String(options.index), options.state, options.sender];
    return (await this.script(SCRIPTS.markOutbox, this.key('outbox', key), ...args)) === 1;
  }

  async closeOutbox(key: string, options: { token: string }): Promise<boolean> {
    checkStoreArguments({ key, token: options.token });
    return (await this.script(SCRIPTS.closeOutbox, this.key('outbox', key), options.token)) === 1;
  }

  // The sorted set of conversation keys whose inbox holds entries.
  private get inboxes(): string {
    return `${this.prefix}inboxes`;
  }

  private key(kind: string, key: string): string {
    return `${this.prefix}${kind}:${key}`;
  }

  private script(code: Script, key: string, ...args: string[]): Promise<unknown> {
    return runScript(this.client, code, [key], args);
  }
}

/** Milliseconds as Redis takes them: a whole number, at least 1. */
function ms(value: number): string {
  return String(Math.max(1, Math.ceil(value)));
}

function readHold([by, reason, since, until]: Array<string | null>): ConversationHold | undefined {
  if (by == null || reason == null || since == null || until == null) return undefined;
  return { by, reason, since: Number(since), expiresAt: Number(until) };
}
