// What the Redis stores share: the `{ url } | { client }` connection option, closing an owned
// connection, and Lua scripts run by EVALSHA with a fallback to EVAL.

import { createHash } from 'node:crypto';
import { ConnectlyValidationError } from 'connectly-agent-graph';
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
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

/** How long a command on a store's own connection waits for Redis to answer, by default. */
const COMMAND_TIMEOUT_MS = 5_000;

export interface RedisConnection {
  client: Redis;
  prefix: string;
  owned: boolean;
}

/** Checks the options of `store` (the class name, for messages) and opens the connection when asked to. */
export function connect(store: string, options: RedisConnectionOptions): RedisConnection {
  if (typeof options !== 'object' || options === null) {
    throw new ConnectlyValidationError('options', `${store} needs { url } or { client }`);
  }
  const { url, client, prefix = 'connectly:', commandTimeoutMs = COMMAND_TIMEOUT_MS } = options;
  if ((url === undefined) === (client === undefined)) {
    throw new ConnectlyValidationError(
      url === undefined ? 'url' : 'client',
      `${store} needs exactly one of \`url\` (it opens and closes the connection) or \`client\` (your ioredis client)`,
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
  if (client !== undefined) {
    if (typeof (client as Partial<Redis>).evalsha !== 'function') {
      throw new ConnectlyValidationError('client', '`client` must be an ioredis client (new Redis(…))');
    }
    return { client, prefix, owned: false };
  }
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new ConnectlyValidationError('url', '`url` must be a Redis URL such as redis://127.0.0.1:6379');
  }
  // A turn waiting on an unreachable Redis should fail soon with a clear error, not hang: one retry per
  // command, and no command waits longer than `commandTimeoutMs` for a Redis that stopped answering.
  const opened = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout: commandTimeoutMs });
  // Connection errors reach the turn that needed Redis as a typed error; ioredis would otherwise also
  // print each reconnection failure to the console.
  opened.on('error', () => undefined);
  return { client: opened, prefix, owned: true };
}

/** Closes a connection: QUIT when it is up, a plain disconnect when it is not (nothing to flush). */
export async function disconnect(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect(); // not connected (Redis down): stop reconnecting
    return;
  }
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  await client.quit().catch(() => client.disconnect());
  await ended;
}

export interface Script {
  source: string;
  sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// EVALSHA first (the script is usually cached), EVAL once when Redis answers NOSCRIPT.
export async function runScript(client: Redis, code: Script, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await client.evalsha(code.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(code.source, keys.length, ...keys, ...args);
  }
}
