// RedisSessionStore against a real redis-server: each primitive keeps its guarantee, the connection is
// owned or borrowed as documented, and a client with the store shares sessions and survives Redis going away.
import { Redis } from 'ioredis';
import { echoReply, MockConnectlyServer } from 'connectly-agent-graph-mock';
import {
  type AgentEvent,
  ConnectlyClient,
  ConnectlySessionStoreError,
  ConnectlyValidationError,
  type FetchLike,
  summarizeReply,
} from 'connectly-agent-graph';
import { RedisSessionStore } from '../src/index.js';
import { type RunningRedis, startRedis } from './redis-server.cjs';

let redis: RunningRedis;
let store: RedisSessionStore;
let prefix = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(() => {
  prefix += 1;
  store = new RedisSessionStore({ url: redis.url, prefix: `t${prefix}:` });
});
afterEach(async () => {
  await store.close();
});

describe('the primitives', () => {
  it('stores a session under the prefix with an expiry', async () => {
    await store.set('biz/alice', { sessionId: 's1', startedAt: 42 }, 60_000);
    expect(await store.get('biz/alice')).toEqual({ sessionId: 's1', startedAt: 42 });
    const ttl = await store.client.pttl(`t${prefix}:session:biz/alice`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await store.get('biz/bob')).toBeUndefined();
  });

  it('forgets a session once its idle time has passed', async () => {
    await store.set('biz/alice', { sessionId: 's1', startedAt: 1 }, 100);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store.get('biz/alice')).toBeUndefined();
  });

  it('deletes a session only while it is still the one named', async () => {
    await store.set('biz/alice', { sessionId: 'fresh', startedAt: 1 }, 60_000);
    await store.delete('biz/alice', 'stale');
    expect(await store.get('biz/alice')).toMatchObject({ sessionId: 'fresh' });
    await store.delete('biz/alice', 'fresh');
    expect(await store.get('biz/alice')).toBeUndefined();
  });

  it('gives the lock to exactly one of many concurrent callers', async () => {
    const owners = Array.from({ length: 50 }, (_, i) => `owner-${i}`);
    const results = await Promise.all(owners.map((owner) => store.lock('biz/alice', owner, 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('renews and releases only for the holder', async () => {
    expect(await store.lock('biz/alice', 'me', 10_000)).toBe(true);
    expect(await store.renew('biz/alice', 'someone else', 10_000)).toBe(false);
    await store.unlock('biz/alice', 'someone else');
    expect(await store.lock('biz/alice', 'other', 10_000)).toBe(false);
    expect(await store.renew('biz/alice', 'me', 20_000)).toBe(true);
    expect(await store.client.pttl(`t${prefix}:lock:biz/alice`)).toBeGreaterThan(10_000);
    await store.unlock('biz/alice', 'me');
    expect(await store.lock('biz/alice', 'other', 10_000)).toBe(true);
  });

  it('frees the lock of a holder that stopped renewing once its lease runs out', async () => {
    expect(await store.lock('biz/alice', 'crashed', 100)).toBe(true);
    expect(await store.lock('biz/alice', 'next', 10_000)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store.renew('biz/alice', 'crashed', 10_000)).toBe(false);
    expect(await store.lock('biz/alice', 'next', 10_000)).toBe(true);
  });

  it('loads its scripts again after Redis forgot them (SCRIPT FLUSH)', async () => {
    await store.lock('biz/alice', 'me', 10_000);
    await store.client.script('FLUSH');
    expect(await store.renew('biz/alice', 'me', 10_000)).toBe(true);
  });
});

describe('the connection', () => {
  it('closes the connection it opened', async () => {
    const own = new RedisSessionStore({ url: redis.url });
    await own.get('x');
    await own.close();
    expect(own.client.status).toBe('end');
    await own.close(); // twice is harmless
  });

  it('keeps the password of the URL out of JSON', async () => {
    const secret = new RedisSessionStore({ url: redis.url.replace('redis://', 'redis://:s3cret-pass@') });
    const client = new ConnectlyClient({ apiKey: 'k', businessId: 'b', sessionStore: secret });
    expect(JSON.stringify([secret, client.session({ clientKey: 'alice' })])).not.toContain('s3cret-pass');
    await secret.close();
  });

  it('leaves your client open', async () => {
    const client = new Redis(redis.url);
    const borrowed = new RedisSessionStore({ client, prefix: 'mine:' });
    await borrowed.set('k', { sessionId: 's', startedAt: 1 }, 1000);
    await borrowed.close();
    expect(await client.get('mine:session:k')).toContain('"sessionId":"s"');
    await client.quit();
  });

  it('names the fix for bad options', () => {
    expect(() => new RedisSessionStore({})).toThrow(ConnectlyValidationError);
    expect(() => new RedisSessionStore({ url: 'localhost:6379' })).toThrow(/redis:\/\/127\.0\.0\.1:6379/);
    expect(() => new RedisSessionStore({ url: redis.url, client: {} as Redis })).toThrow(/exactly one of `url`/);
    expect(() => new RedisSessionStore({ client: {} as Redis })).toThrow(/ioredis client/);
  });
});

describe('a client with the Redis store', () => {
  let mock: MockConnectlyServer;
  beforeAll(async () => {
    mock = new MockConnectlyServer({ agent: echoReply });
    await mock.start();
  });
  afterAll(async () => {
    await mock.stop();
  });

  function client(sessionStore: RedisSessionStore): ConnectlyClient {
    return new ConnectlyClient({ apiKey: 'k', businessId: 'biz', baseUrl: mock.url, sessionStore });
  }

  it('continues one conversation across clients with their own connections', async () => {
    const other = new RedisSessionStore({ url: redis.url, prefix: `t${prefix}:` });
    const before = mock.requests.length;
    const replies = await Promise.all([
      client(store).session({ clientKey: 'alice' }).reply('one'),
      client(other).session({ clientKey: 'alice' }).reply('two'),
      client(store).session({ clientKey: 'alice' }).reply('three'),
      client(other).session({ clientKey: 'alice' }).reply('four'),
    ]);
    await other.close();
    expect(new Set(replies.map((reply) => reply.sessionId)).size).toBe(1);
    expect(mock.requests.slice(before).filter((request) => request.endpoint === 'init')).toHaveLength(1);
    expect(mock.overlaps).toBe(0);
  });

  it('fails the turn with a typed error, sending nothing, when Redis is unreachable', async () => {
    const dead = await startRedis();
    const unreachable = new RedisSessionStore({ url: dead.url });
    await dead.stop();
    const before = mock.requests.length;
    const error = await client(unreachable)
      .session({ clientKey: 'alice' })
      .reply('hello?')
      .catch((e: unknown) => e);
    await unreachable.close();
    expect(error).toBeInstanceOf(ConnectlySessionStoreError);
    expect(error).toMatchObject({ operation: 'lock', sent: false });
    expect((error as Error).message).toMatch(/The session store failed \(lock: .*\): nothing was sent to Connectly/);
    expect(mock.requests.length).toBe(before);
  });
});

describe('a Redis that stops answering (paused, not down)', () => {
  let stuck: RunningRedis;
  let mock: MockConnectlyServer;
  beforeAll(async () => {
    [stuck] = await Promise.all([startRedis(), (mock = new MockConnectlyServer({ agent: echoReply })).start()]);
  });
  afterEach(() => stuck.resume());
  afterAll(async () => {
    await Promise.all([stuck.stop(), mock.stop()]);
  });

  const invokes = (): number => mock.requests.filter((request) => request.endpoint === 'invoke').length;

  function client(sessionStore: RedisSessionStore, fetch?: FetchLike): ConnectlyClient {
    return new ConnectlyClient({
      apiKey: 'k',
      businessId: 'biz',
      baseUrl: mock.url,
      sessionStore,
      sessionStoreTimeoutMs: 300,
      timeoutMs: 2_000,
      ...(fetch ? { fetch } : {}),
    });
  }

  it('a turn fails within sessionStoreTimeoutMs sending nothing, and the next goes through once Redis answers', async () => {
    const store = new RedisSessionStore({ url: stuck.url, prefix: 'paused-1:' });
    await store.get('connected');
    stuck.pause();
    const before = mock.requests.length;
    const error = await client(store)
      .session({ clientKey: 'alice' })
      .reply('hello?')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectlySessionStoreError);
    expect(error).toMatchObject({ operation: 'lock', sent: false });
    expect((error as Error).message).toMatch(/no answer within 300 ms\): nothing was sent to Connectly/);
    expect(mock.requests.length).toBe(before);
    stuck.resume();
    // The lock Redis took late, when it ran again, was released right behind it: no lease to wait out.
    expect((await client(store).session({ clientKey: 'alice' }).reply('again')).text).toBe('heard: again');
    await store.close();
  }, 20_000);

  it('the store bounds each command on the connection it opened: a paused Redis is an error, not a wait', async () => {
    const store = new RedisSessionStore({ url: stuck.url, prefix: 'paused-3:', commandTimeoutMs: 200 });
    await store.get('connected');
    stuck.pause();
    await expect(store.lock('k', 'me', 10_000)).rejects.toThrow(/timed out/);
    stuck.resume();
    await store.close();
    expect(() => new RedisSessionStore({ url: stuck.url, commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
  }, 20_000);

  it('paused while the reply streams: the reply is delivered, the turn fails typed, the customer is not blocked', async () => {
    const redisClient = new Redis(stuck.url); // your own connection: no command time limit of its own
    const store = new RedisSessionStore({ client: redisClient, prefix: 'paused-2:' });
    let pauseOnInvoke = true;
    const pausing: FetchLike = (url, init) => {
      if (pauseOnInvoke && url.endsWith('/invoke')) {
        pauseOnInvoke = false;
        stuck.pause();
      }
      return fetch(url, init) as Promise<never>;
    };
    const events: AgentEvent[] = [];
    const before = invokes();
    const error = await new Promise((resolve) =>
      client(store, pausing)
        .session({ clientKey: 'bob' })
        .send('hi')
        .subscribe({ next: (event) => events.push(event), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(summarizeReply(events).text).toBe('heard: hi');
    expect(error).toBeInstanceOf(ConnectlySessionStoreError);
    expect(error).toMatchObject({ operation: 'set', sent: true });
    expect(invokes() - before).toBe(1);
    stuck.resume();
    expect((await client(store).session({ clientKey: 'bob' }).reply('next')).text).toBe('heard: next');
    redisClient.disconnect();
  }, 20_000);
});
