// RedisSessionStore: the SessionStore of connectly-agent-graph on Redis (ioredis), for conversations
// shared by several processes or machines. Every step is one atomic command: SET NX PX takes a lock,
// and the compare-then-act steps (renew, unlock, delete) are Lua scripts, so nothing reads then writes.

import { type SessionStore, type StoredSession } from 'connectly-agent-graph';
import type { Redis } from 'ioredis';
import {
  type RedisConnectionOptions,
  type Script,
  connect,
  disconnect,
  runScript,
  script,
} from './redis-connection.js';

export type RedisSessionStoreOptions = RedisConnectionOptions;

// Extends the lock's lease only while `owner` holds it.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
// Releases the lock only while `owner` holds it.
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// Deletes the session only while it is still the one with `sessionId`.
const DELETE = `local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).sessionId == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const SCRIPTS = { renew: script(RENEW), unlock: script(UNLOCK), delete: script(DELETE) };

export class RedisSessionStore implements SessionStore {
  /** The ioredis client in use (yours, or the one the store opened). */
  readonly client: Redis;
  readonly prefix: string;
  readonly #owned: boolean;

  constructor(options: RedisSessionStoreOptions) {
    const { client, prefix, owned } = connect('RedisSessionStore', options);
    this.client = client;
    this.prefix = prefix;
    this.#owned = owned;
  }

  // What a log shows: never the connection options (the URL may hold a password).
  toJSON(): Record<string, unknown> {
    return { prefix: this.prefix, ownsConnection: this.#owned, status: this.client.status };
  }

  async get(key: string): Promise<StoredSession | undefined> {
    const value = await this.client.get(this.sessionKey(key));
    if (value === null) return undefined;
    const parsed = JSON.parse(value) as Partial<StoredSession> | null;
    if (typeof parsed?.sessionId !== 'string' || typeof parsed.startedAt !== 'number') return undefined;
    return { sessionId: parsed.sessionId, startedAt: parsed.startedAt };
  }

  async set(key: string, session: StoredSession, ttlMs: number): Promise<void> {
    const value = JSON.stringify({ sessionId: session.sessionId, startedAt: session.startedAt });
    await this.client.set(this.sessionKey(key), value, 'PX', Math.ceil(ttlMs));
  }

  async delete(key: string, sessionId: string): Promise<void> {
    await this.run(SCRIPTS.delete, this.sessionKey(key), sessionId);
  }

  async lock(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.client.set(this.lockKey(key), owner, 'PX', Math.ceil(leaseMs), 'NX')) === 'OK';
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.run(SCRIPTS.renew, this.lockKey(key), owner, String(Math.ceil(leaseMs)))) === 1;
  }

  async unlock(key: string, owner: string): Promise<void> {
    await this.run(SCRIPTS.unlock, this.lockKey(key), owner);
  }

  /** Closes the connection when the store opened it (`{ url }`); a client you passed stays open. */
  async close(): Promise<void> {
    if (this.#owned) await disconnect(this.client);
  }

  private sessionKey(key: string): string {
    return `${this.prefix}session:${key}`;
  }

  private lockKey(key: string): string {
    return `${this.prefix}lock:${key}`;
  }

  private run(code: Script, key: string, ...args: string[]): Promise<unknown> {
    return runScript(this.client, code, [key], args);
  }
}
