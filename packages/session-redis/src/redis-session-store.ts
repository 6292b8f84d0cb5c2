// RedisSessionStore: the SessionStore of connectly-agent-graph on Redis (ioredis), for conversations
// shared by several processes or machines. Every step is one atomic command: SET NX PX takes a lock,
// and the compare-then-act steps (renew, unlock, delete) are Lua scripts, so nothing reads then writes.

import { createHash } from 'node:crypto';
import { ConnectlyValidationError, type SessionStore, type StoredSession } from 'connectly-agent-graph';
import { Redis } from 'ioredis';

export interface RedisSessionStoreOptions {
  /** A Redis URL (`redis://[:password@]host:port[/db]`, `rediss://` for TLS): the store opens and closes its own connection. */
  url?: string;
  /** Your ioredis client: the store uses it and leaves it open on `close()`. */
  client?: Redis;
  /** Put before every key. Default `'connectly:'`. */
  prefix?: string;
  /**
   * With `url`: how long a command waits for a Redis that stopped answering before it fails, in ms.
   * Default 5 000. (With `client`, your client's own `commandTimeout` applies.)
   */
  commandTimeoutMs?: number;
}

// Extends the lock's lease only while `owner` holds it.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
// Releases the lock only while `owner` holds it.
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// Deletes the session only while it is still the one with `sessionId`.
const DELETE = `local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).sessionId == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = { renew: script(RENEW), unlock: script(UNLOCK), delete: script(DELETE) };

/** How long a command on the store's own connection waits for Redis to answer, by default. */
const COMMAND_TIMEOUT_MS = 5_000;

export class RedisSessionStore implements SessionStore {
  /** The ioredis client in use (yours, or the one the store opened). */
  readonly client: Redis;
  readonly prefix: string;
  readonly #owned: boolean;

  constructor(options: RedisSessionStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ConnectlyValidationError('options', 'RedisSessionStore needs { url } or { client }');
    }
    const { url, client, prefix = 'connectly:', commandTimeoutMs = COMMAND_TIMEOUT_MS } = options;
    if ((url === undefined) === (client === undefined)) {
      throw new ConnectlyValidationError(
        url === undefined ? 'url' : 'client',
        'RedisSessionStore needs exactly one of `url` (it opens and closes the connection) or `client` (your ioredis client)',
      );
    }
    if (typeof commandTimeoutMs !== 'number' || !Number.isFinite(commandTimeoutMs) || commandTimeoutMs < 1) {
      throw new ConnectlyValidationError(
        'commandTimeoutMs',
        `\`commandTimeoutMs\` must be a positive number of milliseconds, got ${String(commandTimeoutMs)}`,
      );
    }
    if (typeof prefix !== 'string') {
      throw new ConnectlyValidationError('prefix', '`prefix` must be a string such as "connectly:"');
    }
    this.prefix = prefix;
    if (client !== undefined) {
      if (typeof (client as Partial<Redis>).evalsha !== 'function') {
        throw new ConnectlyValidationError('client', '`client` must be an ioredis client (new Redis(…))');
      }
      this.client = client;
      this.#owned = false;
      return;
    }
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new ConnectlyValidationError('url', '`url` must be a Redis URL such as redis://127.0.0.1:6379');
    }
    // A turn waiting on an unreachable Redis should fail soon with a clear error, not hang: one retry per
    // command, and no command waits longer than `commandTimeoutMs` for a Redis that stopped answering.
    this.client = new Redis(url, {
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      commandTimeout: commandTimeoutMs,
    });
    // Connection errors reach the turn that needed Redis, as ConnectlySessionStoreError; ioredis would
    // otherwise also print each reconnection failure to the console.
    this.client.on('error', () => undefined);
    this.#owned = true;
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
    if (!this.#owned || this.client.status === 'end') return;
    if (this.client.status !== 'ready') {
      this.client.disconnect(); // not connected (Redis down): stop reconnecting, nothing to flush
      return;
    }
    const ended = new Promise<void>((resolve) => this.client.once('end', () => resolve()));
    await this.client.quit().catch(() => this.client.disconnect());
    await ended;
  }

  private sessionKey(key: string): string {
    return `${this.prefix}session:${key}`;
  }

  private lockKey(key: string): string {
    return `${this.prefix}lock:${key}`;
  }

  // EVALSHA first (the script is usually cached), EVAL once when Redis answers NOSCRIPT.
  private async run(code: Script, key: string, ...args: string[]): Promise<unknown> {
    try {
      return await this.client.evalsha(code.sha, 1, key, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.client.eval(code.source, 1, key, ...args);
    }
  }
}
