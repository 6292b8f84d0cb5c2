// RedisTurnLogStore against a real redis-server: the TurnLogStore conformance suite, its keys' expiry
// and cluster slots, and that it owns or borrows its connection as documented.
import { Redis } from 'ioredis';
import { RedisTurnLogStore } from '../src/index.js';
import { turnLogConformance } from '../../agent-graph/test/turn-log-conformance.js';
import { type RunningRedis, startRedis } from './redis-server.cjs';

let redis: RunningRedis;
let prefix = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

turnLogConformance('RedisTurnLogStore', () => {
  prefix += 1;
  return new RedisTurnLogStore({ url: redis.url, prefix: `turns${prefix}:` });
});

describe('RedisTurnLogStore', () => {
  it('keeps every key of a turn under one hash tag, expiring together after the retention', async () => {
    const store = new RedisTurnLogStore({ url: redis.url, prefix: 'tags:' });
    await store.create('t', 'me', 10_000, 60_000);
    await store.append('t', 'a');
    await store.end('t', 'completed', 'end', 30_000);
    const keys = (await store.client.keys('tags:*')).sort();
    expect(keys).toEqual(['tags:turn:{t}:log', 'tags:turn:{t}:meta']);
    for (const key of keys) {
      const ttl = await store.client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    }
    await store.close();
    expect(store.client.status).toBe('end');
  });

  it('leaves a client you passed open on close()', async () => {
    const client = new Redis(redis.url);
    const store = new RedisTurnLogStore({ client });
    await store.create('borrowed', 'me', 10_000, 60_000);
    const unsubscribe = await store.subscribe('borrowed', () => undefined);
    unsubscribe();
    await store.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('never shows the connection URL in its JSON', () => {
    const store = new RedisTurnLogStore({ url: 'redis://:secret-pass@127.0.0.1:1', prefix: 'x:' });
    expect(JSON.stringify(store)).not.toContain('secret-pass');
    store.client.disconnect();
  });
});
