// RedisConversationStore against a real redis-server: the public ConversationStore conformance suite (each
// case's stores on connections of their own, as separate processes have), keys that all expire, prefixes
// that keep businesses apart, and a connection owned or borrowed as documented.
import { Redis } from 'ioredis';
import { ConnectlyValidationError } from 'connectly-agent-graph';
import { conversationStoreConformance } from 'connectly-agent-graph/testing';
import { RedisConversationStore } from '../src/index.js';
import { expectOneConversation } from './one-conversation.js';
import { type RunningRedis, startRedis } from './redis-server.cjs';

let redis: RunningRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe('RedisConversationStore: the ConversationStore conformance suite', () => {
  const cases = conversationStoreConformance(
    (namespace) => new RedisConversationStore({ url: redis.url, prefix: namespace }),
  );
  for (const { name, run } of cases) it(name, run);
});

describe('RedisConversationStore', () => {
  it('puts a TTL on every key it writes, under its prefix', async () => {
    const store = new RedisConversationStore({ url: redis.url, prefix: 'ttl:' });
    await store.claimDelivery('d1', { token: 't', leaseMs: 60_000 });
    await store.claimDelivery('d2', { token: 't', leaseMs: 60_000 });
    await store.completeDelivery('d2', { token: 't', keepMs: 120_000 });
    await store.setHold('biz/alice', { by: 'agent', reason: 'handover' }, { ttlMs: 300_000 });
    await store.recordChoices('biz/alice', { messageId: 'm1', at: 1, choices: {} }, { keep: 5, ttlMs: 60_000 });
    await store.noteInbound('biz/alice', 1_700_000_000_000, { ttlMs: 60_000 });
    await store.recordSend('biz/alice', { fingerprint: 'f' }, { keep: 5, ttlMs: 60_000 });
    await store.set('biz/alice', { sessionId: 's', startedAt: 1 }, 60_000);
    await store.lock('biz/alice', 'me', 60_000);
    const keys = (await store.client.keys('ttl:*')).sort();
    expect(keys).toEqual([
      'ttl:choices:biz/alice',
      'ttl:delivery:d1',
      'ttl:delivery:d2',
      'ttl:hold:biz/alice',
      'ttl:inbound:biz/alice',
      'ttl:lock:biz/alice',
      'ttl:sends:biz/alice',
      'ttl:session:biz/alice',
    ]);
    for (const key of keys) {
      const ttl = await store.client.pttl(key);
      expect([key, ttl > 0 && ttl <= 300_000]).toEqual([key, true]);
    }
    await store.close();
    expect(store.client.status).toBe('end');
  });

  it('is the session store of clients too: one conversation across clients on their own connections', async () => {
    await expectOneConversation([1, 2].map(() => new RedisConversationStore({ url: redis.url, prefix: 'sessions:' })));
  });

  it('keeps stores with different prefixes apart', async () => {
    const shopA = new RedisConversationStore({ url: redis.url, prefix: 'shop-a:' });
    const shopB = new RedisConversationStore({ url: redis.url, prefix: 'shop-b:' });
    expect(await shopA.claimDelivery('same-signature', { token: 'a', leaseMs: 60_000 })).toBe('claimed');
    expect(await shopB.claimDelivery('same-signature', { token: 'b', leaseMs: 60_000 })).toBe('claimed');
    await shopA.setHold('alice', { by: 'agent', reason: 'r' }, { ttlMs: 60_000 });
    expect(await shopB.getHold('alice')).toBeUndefined();
    await Promise.all([shopA.close(), shopB.close()]);
  });

  it('keeps ids and payloads with separators and non-ASCII text intact', async () => {
    const store = new RedisConversationStore({ url: redis.url, prefix: 'chars:' });
    const id = '12:3:x:é|\n';
    const offer = {
      messageId: id,
      at: 1_765_000_000_123,
      choices: { 'sugg:0': { kind: 'suggestion' as const, text: 'Größe? 👟' } },
    };
    await store.recordChoices('k', offer, { keep: 5, ttlMs: 60_000 });
    await store.recordChoices('k', { ...offer, messageId: '12' }, { keep: 5, ttlMs: 60_000 });
    expect(await store.findChoices('k', id)).toEqual(offer);
    await store.recordSend('k', { messageId: id, fingerprint: '1:2:3' }, { keep: 5, ttlMs: 60_000 });
    expect(await store.matchEcho('k', { messageId: '12', fingerprint: '1:2:3' })).toBe(false);
    expect(await store.matchEcho('k', { messageId: id, fingerprint: 'other' })).toBe(true);
    expect(await store.noteInbound('k', 1_765_000_000_123.5, { ttlMs: 60_000 })).toBe(1_765_000_000_123.5);
    await store.close();
  });

  it('leaves a client you passed open on close(), and never shows the connection URL', async () => {
    const client = new Redis(redis.url);
    const store = new RedisConversationStore({ client, prefix: 'borrowed:' });
    expect(await store.claimDelivery('d', { token: 't', leaseMs: 60_000 })).toBe('claimed');
    await store.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
    const secret = new RedisConversationStore({ url: 'redis://:secret-pass@127.0.0.1:1', prefix: 'x:' });
    expect(JSON.stringify(secret)).not.toContain('secret-pass');
    secret.client.disconnect();
  });

  it('refuses bad arguments before reaching Redis, naming what to pass', async () => {
    const store = new RedisConversationStore({ url: redis.url, prefix: 'args:' });
    await expect(store.claimDelivery('', { token: 't', leaseMs: 1_000 })).rejects.toThrow(ConnectlyValidationError);
    await expect(store.recordSend('k', { fingerprint: '' }, { keep: 1, ttlMs: 1_000 })).rejects.toThrow(/hash/);
    expect(() => new RedisConversationStore({ prefix: 'x:' })).toThrow(/RedisConversationStore needs exactly one/);
    await store.close();
  });
});
