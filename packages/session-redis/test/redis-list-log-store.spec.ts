// LogConversationStore over a Redis list used exactly as n8n's Redis Chat Memory uses one (LPUSH appends;
// LRANGE 0 -1, reversed, reads oldest first), each store on a connection of its own as separate processes
// have, against a real redis-server: the public conformance suite, a chat memory's own messages in the
// same list, a race over many connections, clients sharing a session through it, and what the list's own
// expiry does.
import { Redis } from 'ioredis';
import { type ConversationLog, LogConversationStore } from 'connectly-agent-graph';
import { conversationStoreConformance } from 'connectly-agent-graph/testing';
import { expectOneConversation } from './one-conversation.js';
import { type RunningRedis, startRedis } from './redis-server.cjs';

let redis: RunningRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** The list as Redis Chat Memory keeps a session's messages: newest at the head. */
class RedisListLog implements ConversationLog {
  constructor(
    readonly client: Redis,
    readonly key: string,
  ) {}

  async append(record: string): Promise<void> {
    await this.client.lpush(this.key, record);
  }

  async read(): Promise<readonly string[]> {
    return (await this.client.lrange(this.key, 0, -1)).reverse();
  }
}

/** A store on a connection of its own, which it closes. */
class ListStore extends LogConversationStore {
  readonly client: Redis;

  constructor(key: string) {
    const client = new Redis(redis.url);
    super(new RedisListLog(client, key));
    this.client = client;
  }

  async close(): Promise<void> {
    await this.client.quit();
  }
}

describe('LogConversationStore over a Redis list: the ConversationStore conformance suite', () => {
  const cases = conversationStoreConformance((namespace) => new ListStore(`${namespace}chat-memory`));
  for (const { name, run } of cases) it(name, run);
});

describe('LogConversationStore over a Redis list', () => {
  it('shares the list with a chat memory’s own messages, skipping them', async () => {
    const key = 'shared:chat-memory';
    const memory = new Redis(redis.url);
    const [a, b] = [new ListStore(key), new ListStore(key)];
    try {
      await memory.lpush(key, JSON.stringify({ type: 'human', data: { content: 'hi', additional_kwargs: {} } }));
      expect(await a.claimDelivery('sig-1', { token: 'a', leaseMs: 60_000 })).toBe('claimed');
      await memory.lpush(key, JSON.stringify({ type: 'ai', data: { content: 'Hello! How can I help?' } }));
      expect(await b.claimDelivery('sig-1', { token: 'b', leaseMs: 60_000 })).toBe('processing');
      await b.setHold('biz/alice', { by: 'agent', reason: 'handover' }, { ttlMs: 60_000 });
      expect((await a.getHold('biz/alice'))?.by).toBe('agent');
      const kept = (await memory.lrange(key, 0, -1)).reverse().map((text) => JSON.parse(text) as { type?: string });
      expect(kept.map((record) => record.type ?? 'store')).toEqual(['human', 'store', 'ai', 'store', 'store']);
    } finally {
      await Promise.all([a.close(), b.close(), memory.quit()]);
    }
  });

  it('of claims racing over many connections with different tokens, exactly one claims the delivery', async () => {
    const stores = Array.from({ length: 5 }, () => new ListStore('race:chat-memory'));
    try {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          stores[i % stores.length]!.claimDelivery('sig-race', { token: `racer-${i}`, leaseMs: 60_000 }),
        ),
      );
      expect(results.filter((state) => state === 'claimed')).toHaveLength(1);
      expect(results.filter((state) => state === 'processing')).toHaveLength(24);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('is the session store of clients too: one conversation across clients on their own connections', async () => {
    await expectOneConversation([1, 2].map(() => new ListStore('sessions:chat-memory')));
  });

  it('forgets everything of the list once the list itself expires: a held conversation is the agent’s again', async () => {
    const key = 'expiring:chat-memory';
    const store = new ListStore(key);
    try {
      await store.setHold('biz/alice', { by: 'teammate-1', reason: 'took over' }, { ttlMs: 86_400_000 });
      await store.completeDelivery('sig-1', { token: 't', keepMs: 86_400_000 });
      // What Redis Chat Memory's Session TTL does to the list when it runs out.
      await store.client.pexpire(key, 1);
      for (let tries = 0; tries < 100 && (await store.client.exists(key)) === 1; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await store.getHold('biz/alice')).toBeUndefined();
      expect(await store.deliveryState('sig-1')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
