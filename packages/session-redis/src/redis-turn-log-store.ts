// RedisTurnLogStore: the TurnLogStore of connectly-agent-graph on Redis, so a turn run by one process can
// be replayed and followed from any other. Per turn: a list of entries (RPUSH answers the new entry's id),
// a hash with its end and stop request, and a lease key its process renews (the heartbeat). Every write
// is one Lua script that also PUBLISHes the new id; followers share one subscriber connection.

import type { TurnEndReason, TurnHeartbeat, TurnLogSnapshot, TurnLogStore } from 'connectly-agent-graph';
import type { Redis } from 'ioredis';
import { type RedisConnectionOptions, connect, disconnect, runScript, script } from './redis-connection.js';

export type RedisTurnLogStoreOptions = RedisConnectionOptions;

// KEYS: meta, log, lease. The log list only exists from the first entry; every key of a turn expires together.
const CREATE = script(`if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'created', ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'meta', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
return 1`);
const APPEND =
  script(`if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'end') == 1 then return 0 end
local n = redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1]))
redis.call('PUBLISH', ARGV[2], n)
return n`);
const END =
  script(`if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'end') == 1 then return 0 end
local n = redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'end', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[3])
redis.call('PUBLISH', ARGV[4], n)
return n`);
const HEARTBEAT = script(`if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('GET', KEYS[3]) ~= ARGV[1]
  or redis.call('HEXISTS', KEYS[1], 'end') == 1 then return 0 end
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if redis.call('HEXISTS', KEYS[1], 'stop') == 1 then return 2 end
return 1`);
const STOP =
  script(`if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'end') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'stop', '1')
return 1`);

const END_REASONS: ReadonlySet<string> = new Set<TurnEndReason>(['completed', 'failed', 'stopped', 'interrupted']);

export class RedisTurnLogStore implements TurnLogStore {
  /** The ioredis client in use (yours, or the one the store opened). */
  readonly client: Redis;
  readonly prefix: string;
  readonly #owned: boolean;
  // One connection in subscriber mode for every follower of this process, opened on the first one.
  #subscriber: Redis | undefined;
  readonly #listeners = new Map<string, Set<() => void>>();

  constructor(options: RedisTurnLogStoreOptions) {
    const { client, prefix, owned } = connect('RedisTurnLogStore', options);
    this.client = client;
    this.prefix = prefix;
    this.#owned = owned;
  }

  // What a log shows: never the connection options (the URL may hold a password).
  toJSON(): Record<string, unknown> {
    return { prefix: this.prefix, ownsConnection: this.#owned, status: this.client.status };
  }

  async create(turnId: string, owner: string, leaseMs: number, retentionMs: number, meta?: string): Promise<boolean> {
    const args = [owner, ms(leaseMs), ms(retentionMs), meta ?? ''];
    const created = await runScript(this.client, CREATE, this.keys(turnId), args);
    return created === 1;
  }

  async append(turnId: string, entry: string): Promise<number> {
    return Number(await runScript(this.client, APPEND, this.keys(turnId), [entry, this.channel(turnId)]));
  }

  async end(turnId: string, reason: TurnEndReason, entry: string, retentionMs: number): Promise<number> {
    const args = [entry, reason, ms(retentionMs), this.channel(turnId)];
    return Number(await runScript(this.client, END, this.keys(turnId), args));
  }

  async read(turnId: string, afterId: number, limit: number): Promise<TurnLogSnapshot | undefined> {
    const [meta, log, lease] = this.keys(turnId);
    const start = Math.max(0, afterId);
    const results = await this.client
      .multi()
      .exists(meta)
      .hget(meta, 'end')
      .hget(meta, 'meta')
      .exists(lease)
      .lrange(log, start, start + limit - 1)
      .exec();
    if (results === null) throw new Error('the read of the turn log was aborted');
    for (const [error] of results) if (error) throw error;
    const [exists, end, extra, owned, entries] = results.map(([, value]) => value) as [
      number,
      string | null,
      string | null,
      number,
      string[],
    ];
    if (exists === 0) return undefined;
    return {
      entries,
      end: end !== null && END_REASONS.has(end) ? (end as TurnEndReason) : undefined,
      owned: owned === 1,
      meta: extra ?? undefined,
    };
  }

  async heartbeat(turnId: string, owner: string, leaseMs: number, retentionMs: number): Promise<TurnHeartbeat> {
    const state = await runScript(this.client, HEARTBEAT, this.keys(turnId), [owner, ms(leaseMs), ms(retentionMs)]);
    return state === 2 ? 'stop' : state === 1 ? 'running' : 'lost';
  }

  async requestStop(turnId: string): Promise<boolean> {
    return (await runScript(this.client, STOP, this.keys(turnId), [])) === 1;
  }

  async subscribe(turnId: string, onAppend: () => void): Promise<() => void> {
    const channel = this.channel(turnId);
    const subscriber = this.subscriber();
    let listeners = this.#listeners.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
      await subscriber.subscribe(channel);
    }
    const listener = () => onAppend();
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#listeners.get(channel) !== listeners) return;
      this.#listeners.delete(channel);
      subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  /** Closes the subscriber connection, and the main one when the store opened it (`{ url }`). */
  async close(): Promise<void> {
    this.#listeners.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    await Promise.all([subscriber && disconnect(subscriber), this.#owned && disconnect(this.client)]);
  }

  private subscriber(): Redis {
    if (this.#subscriber === undefined) {
      const subscriber = this.client.duplicate();
      subscriber.on('error', () => undefined); // followers also read on a timer: a lost hint only delays them
      subscriber.on('message', (channel: string) => {
        for (const listener of [...(this.#listeners.get(channel) ?? [])]) listener();
      });
      this.#subscriber = subscriber;
    }
    return this.#subscriber;
  }

  // One hash tag per turn, so its keys share a Redis Cluster slot (a script may touch them all).
  private keys(turnId: string): [meta: string, log: string, lease: string] {
    const base = `${this.prefix}turn:{${turnId}}`;
    return [`${base}:meta`, `${base}:log`, `${base}:lease`];
  }

  private channel(turnId: string): string {
    return `${this.prefix}turn:{${turnId}}:appended`;
  }
}

function ms(value: number): string {
  return String(Math.max(1, Math.ceil(value)));
}
