// Conversations kept in a session store: one init per customer, turns in order and batched, renewal,
// idle expiry, close, the lock's lease, and store failures — against the mock over real HTTP.
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { echoReply } from 'connectly-agent-graph-mock';
import {
  type AgentEvent,
  ConnectlyApiError,
  ConnectlyAbortError,
  ConnectlyClient,
  ConnectlySession,
  ConnectlySessionStoreError,
  ConnectlyValidationError,
  MemorySessionStore,
  type SessionStore,
  SharedSession,
  replyText,
  summarizeReply,
} from '../src/index.js';
import { API_KEY, useMockServer } from './helpers.js';

const h = useMockServer({ agent: echoReply });

function clientWith(store: SessionStore, more: Record<string, unknown> = {}): ConnectlyClient {
  return h.clientWith({ sessionStore: store, ...more });
}

function count(endpoint: string): number {
  return h.mock.requests.filter((request) => request.endpoint === endpoint).length;
}

/** The texts each invoke carried, turn by turn, as the mock received them. */
function turnsSent(): string[][] {
  return h.mock.requests
    .filter((request) => request.endpoint === 'invoke')
    .map((request) =>
      (
        request.body as { inputEvents: Array<{ messageEvent: { content: { textContent: { text: string } } } }> }
      ).inputEvents.map((event) => event.messageEvent.content.textContent.text),
    );
}

function untilRequest(endpoint: string): Promise<void> {
  return new Promise((resolve) => {
    const seen = (request: { endpoint: string }): void => {
      if (request.endpoint !== endpoint) return;
      h.mock.off('request', seen);
      resolve();
    };
    h.mock.on('request', seen);
  });
}

/** A clock the test moves by hand, for expiry and leases without waiting. */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let at = 1_000_000;
  return { now: () => at, advance: (ms) => (at += ms) };
}

describe('without a session store', () => {
  it('keeps the old behaviour: each session object starts its own session', async () => {
    const first = h.client.session({ clientKey: 'alice' });
    const second = h.client.session({ clientKey: 'alice' });
    expect(first).toBeInstanceOf(ConnectlySession);
    await first.reply('one');
    await second.reply('two');
    expect(count('init')).toBe(2);
    expect(first.sessionId).not.toBe(second.sessionId);
  });

  it('rejects session options that only make sense with a store', () => {
    expect(() => h.clientWith({ sessionIdleMs: 1000 })).toThrow(/only applies with a `sessionStore`/);
  });
});

describe('one session per customer', () => {
  it('lets every session object of a customer continue the same Connectly session', async () => {
    const client = clientWith(new MemorySessionStore());
    const first = client.session({ clientKey: 'alice' });
    expect(first).toBeInstanceOf(SharedSession);
    await first.reply('hello');
    const later = client.session({ clientKey: 'alice' });
    const reply = await later.reply('again');
    expect(count('init')).toBe(1);
    expect(reply.sessionId).toBe(first.sessionId);
    expect(later.sessionId).toBe(first.sessionId);
    expect(h.mock.sessions.get(reply.sessionId as string)?.turns).toBe(2);
  });

  it('shares the store between clients (as processes do) and keeps customers and businesses apart', async () => {
    const store = new MemorySessionStore();
    const one = clientWith(store);
    const two = clientWith(store);
    const a1 = await one.session({ clientKey: 'alice' }).reply('hi');
    const a2 = await two.session({ clientKey: 'alice' }).reply('hi again');
    const b = await two.session({ clientKey: 'bob' }).reply('hi');
    const other = await two.session({ clientKey: 'alice', businessId: 'biz-2' }).reply('hi');
    expect(a2.sessionId).toBe(a1.sessionId);
    expect(new Set([a1.sessionId, b.sessionId, other.sessionId]).size).toBe(3);
    expect(count('init')).toBe(3);
  });

  it('starts exactly one session for many turns that begin at once, from several clients', async () => {
    const store = new MemorySessionStore();
    const clients = [clientWith(store), clientWith(store), clientWith(store)];
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => clients[i % 3]!.session({ clientKey: 'alice' }).reply(`m${i}`)),
    );
    expect(count('init')).toBe(1);
    expect(h.mock.overlaps).toBe(0);
    expect(new Set(replies.map((reply) => reply.sessionId)).size).toBe(1);
    expect(turnsSent().flat().sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
  });

  it('start() finds or starts the session and the turns use it', async () => {
    const client = clientWith(new MemorySessionStore());
    const [a, b] = await Promise.all([
      client.session({ clientKey: 'alice' }).start(),
      client.session({ clientKey: 'alice' }).start(),
    ]);
    expect(a).toBe(b);
    const reply = await client.session({ clientKey: 'alice' }).reply('hi');
    expect(reply.sessionId).toBe(a);
    expect(count('init')).toBe(1);
  });
});

describe('turns in order', () => {
  it('sends input that arrives while a turn runs as the next turn, in arrival order, and gives each caller its turn’s reply', async () => {
    const session = clientWith(new MemorySessionStore()).session({ clientKey: 'alice' });
    h.mock.inject({ endpoint: 'invoke', delayMs: 150 });
    const first = session.reply('Hi');
    await untilRequest('invoke');
    const queued = ['I want a gift', 'for my wife', 'under $50'].map((text) => session.reply(text));
    const replies = await Promise.all([first, ...queued]);
    expect(turnsSent()).toEqual([['Hi'], ['I want a gift', 'for my wife', 'under $50']]);
    expect(replies.map((reply) => reply.text)).toEqual([
      'heard: Hi',
      'heard: I want a gift | for my wife | under $50',
      'heard: I want a gift | for my wife | under $50',
      'heard: I want a gift | for my wife | under $50',
    ]);
    expect(h.mock.overlaps).toBe(0);
  });

  it('streams the shared reply to every caller of the turn', async () => {
    const session = clientWith(new MemorySessionStore()).session({ clientKey: 'alice' });
    const streams = [session.send('a'), session.send('b')].map((events) => lastValueFrom(events.pipe(toArray())));
    const [a, b] = (await Promise.all(streams)) as [AgentEvent[], AgentEvent[]];
    expect(a).toEqual(b);
    expect(await lastValueFrom(session.send('c').pipe(replyText()))).toBe('heard: c');
  });

  it('takes out the input of a caller that leaves before its turn is sent, and stops a turn nobody waits for', async () => {
    const session = clientWith(new MemorySessionStore()).session({ clientKey: 'alice' });
    h.mock.inject({ endpoint: 'invoke', delayMs: 150 });
    const first = session.reply('first');
    await untilRequest('invoke');
    const controller = new AbortController();
    const leaving = session.reply('never sent', { signal: controller.signal });
    const staying = session.reply('kept');
    controller.abort();
    await expect(leaving).rejects.toBeInstanceOf(ConnectlyAbortError);
    await first;
    expect((await staying).text).toBe('heard: kept');
    expect(turnsSent()).toEqual([['first'], ['kept']]);
  });

  it('sends turns through invoke_sync too, in the same queue', async () => {
    const session = clientWith(new MemorySessionStore()).session({ clientKey: 'alice' });
    const events = await lastValueFrom(session.sendSync('sync please').pipe(toArray()));
    expect(events.map((event) => event.type)).toEqual(['messageEvent']);
    expect(count('invoke_sync')).toBe(1);
  });
});

describe('renewal', () => {
  it('starts a new session and sends the turn once more when Connectly forgot the session', async () => {
    const client = clientWith(new MemorySessionStore());
    const before = await client.session({ clientKey: 'alice' }).reply('hello');
    h.mock.forget();
    const after = await client.session({ clientKey: 'alice' }).reply('still there?');
    expect(after.text).toBe('heard: still there?');
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(count('init')).toBe(2);
    expect(turnsSent()).toEqual([['hello'], ['still there?'], ['still there?']]);
    expect(h.mock.sessions.get(after.sessionId as string)?.turns).toBe(1);
    // The renewed session is the one kept: the next turn uses it without another init.
    await client.session({ clientKey: 'alice' }).reply('and now?');
    expect(count('init')).toBe(2);
  });

  it('renews an invoke_sync turn the same way', async () => {
    const client = clientWith(new MemorySessionStore());
    await client.session({ clientKey: 'alice' }).start();
    h.mock.forget();
    const events = await lastValueFrom(client.session({ clientKey: 'alice' }).sendSync('sync').pipe(toArray()));
    expect(events).toHaveLength(1);
    expect(count('init')).toBe(2);
  });

  it('renews once, never twice', async () => {
    const client = clientWith(new MemorySessionStore());
    await client.session({ clientKey: 'alice' }).start();
    h.mock.inject({ endpoint: 'invoke', status: 404, code: 5, message: 'session not found', times: 2 });
    const failure = client.session({ clientKey: 'alice' }).reply('hello');
    await expect(failure).rejects.toMatchObject({ code: 5 });
    expect(count('invoke')).toBe(2);
    expect(count('init')).toBe(2);
  });

  it('never renews once a reply line has arrived', async () => {
    const client = clientWith(new MemorySessionStore());
    await client.session({ clientKey: 'alice' }).start();
    h.mock.inject({ endpoint: 'invoke', errorAfterEvents: 1, code: 5, message: 'session expired mid-turn' });
    const events: AgentEvent[] = [];
    const error = await new Promise((resolve) =>
      client
        .session({ clientKey: 'alice' })
        .send('hello')
        .subscribe({ next: (e) => events.push(e), error: resolve }),
    );
    expect(error).toBeInstanceOf(ConnectlyApiError);
    expect(events).toHaveLength(1);
    expect(count('invoke')).toBe(1);
    expect(count('init')).toBe(1);
  });
});

describe('idle expiry and close', () => {
  it('forgets a session left idle past sessionIdleMs, and each turn refreshes it', async () => {
    const clock = manualClock();
    const client = clientWith(new MemorySessionStore({ now: clock.now }), { sessionIdleMs: 10_000 });
    const first = await client.session({ clientKey: 'alice' }).reply('one');
    clock.advance(9_000);
    const second = await client.session({ clientKey: 'alice' }).reply('two');
    clock.advance(9_000);
    const third = await client.session({ clientKey: 'alice' }).reply('three');
    expect(second.sessionId).toBe(first.sessionId);
    expect(third.sessionId).toBe(first.sessionId);
    clock.advance(10_001);
    const fourth = await client.session({ clientKey: 'alice' }).reply('four');
    expect(fourth.sessionId).not.toBe(first.sessionId);
    expect(count('init')).toBe(2);
  });

  it('close() closes on the server and removes the session from the store', async () => {
    const store = new MemorySessionStore();
    const client = clientWith(store);
    const session = client.session({ clientKey: 'alice' });
    const { sessionId } = await session.reply('bye soon');
    await session.close();
    expect(session.closed).toBe(true);
    expect(h.mock.sessions.get(sessionId as string)?.closed).toBe(true);
    expect(store.size).toBe(0);
    await expect(lastValueFrom(session.send('more'))).rejects.toThrow(/This session is closed/);
    const next = await client.session({ clientKey: 'alice' }).reply('new conversation');
    expect(next.sessionId).not.toBe(sessionId);
    await session.close(); // twice is harmless
  });

  it('close() after the queued turns, and of a session Connectly already forgot', async () => {
    const store = new MemorySessionStore();
    const client = clientWith(store);
    const session = client.session({ clientKey: 'alice' });
    const turn = session.reply('last words');
    const closing = session.close();
    expect((await turn).text).toBe('heard: last words');
    await closing;
    expect(store.size).toBe(0);
    await client.session({ clientKey: 'bob' }).start();
    h.mock.forget();
    await client.session({ clientKey: 'bob' }).close();
    expect(store.size).toBe(0);
  });
});

describe('the lock', () => {
  it('sends nothing while another holder has the lock, and goes on once its lease runs out', async () => {
    const clock = manualClock();
    const store = new MemorySessionStore({ now: clock.now });
    const client = clientWith(store, { sessionLeaseMs: 5_000 });
    const key = 'biz-1/alice';
    expect(await store.lock(key, 'a crashed process', 5_000)).toBe(true);
    let lockAttempts = 0;
    const lock = store.lock.bind(store);
    store.lock = async (...args) => {
      lockAttempts += 1;
      return lock(...args);
    };
    const reply = client.session({ clientKey: 'alice' }).reply('waiting');
    while (lockAttempts < 5) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.mock.requests).toHaveLength(0);
    clock.advance(5_001);
    expect((await reply).text).toBe('heard: waiting');
  });

  it('keeps the lock through a turn longer than the lease, so another process waits for it', async () => {
    const store = new MemorySessionStore();
    const [one, two] = [clientWith(store, { sessionLeaseMs: 150 }), clientWith(store, { sessionLeaseMs: 150 })];
    await one.session({ clientKey: 'alice' }).start();
    h.mock.inject({ endpoint: 'invoke', delayMs: 700 }); // several leases long
    const slow = one.session({ clientKey: 'alice' }).reply('slow');
    await untilRequest('invoke');
    const next = two.session({ clientKey: 'alice' }).reply('next');
    const replies = await Promise.all([slow, next]);
    expect(replies.map((reply) => reply.text)).toEqual(['heard: slow', 'heard: next']);
    expect(h.mock.overlaps).toBe(0);
  });

  it('sessionsIdle() resolves once every turn has finished and released its lock', async () => {
    const store = new MemorySessionStore();
    const client = clientWith(store);
    await client.sessionsIdle();
    h.mock.inject({ endpoint: 'invoke', delayMs: 100 });
    const turn = client.session({ clientKey: 'alice' }).reply('hi');
    let settled = false;
    const idle = client.sessionsIdle().then(() => (settled = true));
    await untilRequest('invoke');
    expect(settled).toBe(false);
    await turn;
    await idle;
    expect(await store.lock('biz-1/alice', 'someone else', 1000)).toBe(true);
  });

  it('refuses to send when the lock was lost before the request, and says so', async () => {
    const memory = new MemorySessionStore();
    const store: SessionStore = {
      get: async (key) => {
        await new Promise((resolve) => setTimeout(resolve, 120)); // longer than two thirds of the lease
        return memory.get(key);
      },
      set: (key, session, ttl) => memory.set(key, session, ttl),
      delete: (key, id) => memory.delete(key, id),
      lock: (key, owner, lease) => memory.lock(key, owner, lease),
      renew: async () => false,
      unlock: (key, owner) => memory.unlock(key, owner),
    };
    const error = await client(store)
      .session({ clientKey: 'alice' })
      .reply('hi')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectlySessionStoreError);
    expect(error).toMatchObject({ operation: 'renew', sent: false });
    expect(h.mock.requests).toHaveLength(0);

    function client(s: SessionStore): ConnectlyClient {
      return clientWith(s, { sessionLeaseMs: 150, sessionStoreTimeoutMs: 1000 });
    }
  });

  it('refuses to send when the store renewed the lock so late that little of the lease is left', async () => {
    const memory = new MemorySessionStore();
    const slowGet = async (key: string) => {
      await new Promise((resolve) => setTimeout(resolve, 120)); // longer than two thirds of the lease
      return memory.get(key);
    };
    const slowRenew = async (key: string, owner: string, lease: number) => {
      await new Promise((resolve) => setTimeout(resolve, 80)); // over a third of the lease
      return memory.renew(key, owner, lease);
    };
    const store: SessionStore = {
      get: slowGet,
      set: (key, session, ttl) => memory.set(key, session, ttl),
      delete: (key, id) => memory.delete(key, id),
      lock: (key, owner, lease) => memory.lock(key, owner, lease),
      renew: slowRenew,
      unlock: (key, owner) => memory.unlock(key, owner),
    };
    const error = await clientWith(store, { sessionLeaseMs: 150, sessionStoreTimeoutMs: 1000 })
      .session({ clientKey: 'alice' })
      .reply('hi')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectlySessionStoreError', operation: 'renew', sent: false });
    expect((error as Error).message).toMatch(/took \d+ ms to renew the lock .*nothing was sent to Connectly/);
    expect(h.mock.requests).toHaveLength(0);
  });
});

describe('store failures', () => {
  function failing(method: keyof SessionStore): SessionStore {
    const memory = new MemorySessionStore();
    return new Proxy(memory, {
      get(target, name, receiver) {
        if (name === method) return async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
        const value = Reflect.get(target, name, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it.each(['lock', 'get'] as const)(
    'a failing %s is a typed error for the turn, before anything is sent',
    async (method) => {
      const error = await clientWith(failing(method))
        .session({ clientKey: 'alice' })
        .reply('hi')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectlySessionStoreError);
      expect(error).toMatchObject({ operation: method, sent: false });
      expect((error as Error).message).toMatch(/nothing was sent to Connectly\. Check that the store is reachable/);
      expect(h.mock.requests).toHaveLength(0);
    },
  );

  it('a failure after the reply says the turn reached Connectly, after delivering its events', async () => {
    const store = failing('unlock');
    const events: AgentEvent[] = [];
    const error = await new Promise((resolve) =>
      clientWith(store)
        .session({ clientKey: 'alice' })
        .send('hi')
        .subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(events).toHaveLength(1);
    expect(error).toMatchObject({ name: 'ConnectlySessionStoreError', operation: 'unlock', sent: true });
  });

  /** A memory store whose `method` never answers while `stuck.on` is true. */
  function stuckOn(method: keyof SessionStore): { store: SessionStore; stuck: { on: boolean } } {
    const memory = new MemorySessionStore();
    const stuck = { on: true };
    const store = new Proxy(memory, {
      get(target, name) {
        const value = Reflect.get(target, name) as (...a: unknown[]) => unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          name === method && stuck.on ? new Promise(() => undefined) : value.apply(target, args);
      },
    });
    return { store, stuck };
  }

  it.each(['lock', 'get'] as const)(
    'a %s that never answers fails the turn within sessionStoreTimeoutMs, before anything is sent',
    async (method) => {
      const { store, stuck } = stuckOn(method);
      const client = clientWith(store, { sessionStoreTimeoutMs: 200 });
      const error = await client
        .session({ clientKey: 'alice' })
        .reply('hi')
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConnectlySessionStoreError', operation: method, sent: false });
      expect((error as Error).message).toMatch(
        /\(.*: no answer within 200 ms\): nothing was sent to Connectly\. .*raise sessionStoreTimeoutMs/,
      );
      expect(h.mock.requests).toHaveLength(0);
      stuck.on = false;
      expect((await client.session({ clientKey: 'alice' }).reply('again')).text).toBe('heard: again');
    },
  );

  it.each([
    [
      'a subclass of MemorySessionStore',
      (): SessionStore =>
        new (class extends MemorySessionStore {
          override lock(): Promise<boolean> {
            return new Promise(() => undefined);
          }
        })(),
    ],
    [
      'a MemorySessionStore with its lock replaced',
      (): SessionStore => Object.assign(new MemorySessionStore(), { lock: () => new Promise(() => undefined) }),
    ],
  ])('%s that never answers is held to sessionStoreTimeoutMs as any store is', async (_name, make) => {
    const client = clientWith(make(), { sessionStoreTimeoutMs: 200 });
    const error = await client
      .session({ clientKey: 'alice' })
      .reply('hi')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectlySessionStoreError', operation: 'lock', sent: false });
    expect(h.mock.requests).toHaveLength(0);
  });

  it('a turn whose only caller leaves while its call waits for the reply stops the call and frees the conversation', async () => {
    const client = clientWith(new MemorySessionStore());
    await client.session({ clientKey: 'alice' }).start();
    // Longer than the test may take: only stopping the call frees the conversation in time.
    h.mock.inject({ endpoint: 'invoke', delayMs: 60_000 });
    const subscription = client.session({ clientKey: 'alice' }).send('hi').subscribe();
    await untilRequest('invoke');
    subscription.unsubscribe();
    await client.sessionsIdle();
    expect((await client.session({ clientKey: 'alice' }).reply('again')).text).toBe('heard: again');
  });

  it('a set that never answers after the reply: the events are delivered, the turn fails, the queue moves on', async () => {
    const { store, stuck } = stuckOn('set');
    const client = clientWith(store, { sessionStoreTimeoutMs: 200 });
    await client
      .session({ clientKey: 'alice' })
      .start()
      .catch(() => undefined); // `set` of a new session: stuck
    stuck.on = false;
    await client.session({ clientKey: 'alice' }).start();
    stuck.on = true;
    const events: AgentEvent[] = [];
    const first = new Promise((resolve) =>
      client
        .session({ clientKey: 'alice' })
        .send('hi')
        .subscribe({ next: (e) => events.push(e), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(await first).toMatchObject({ name: 'ConnectlySessionStoreError', operation: 'set', sent: true });
    expect(summarizeReply(events).text).toBe('heard: hi');
    stuck.on = false;
    expect((await client.session({ clientKey: 'alice' }).reply('later')).text).toBe('heard: later');
  });

  it('the next turn works once the store is back', async () => {
    let down = true;
    const memory = new MemorySessionStore();
    const store = new Proxy(memory, {
      get(target, name) {
        const value = Reflect.get(target, name) as (...a: unknown[]) => unknown;
        return async (...args: unknown[]) => {
          if (down) throw new Error('store down');
          return value.apply(target, args);
        };
      },
    });
    const client = clientWith(store);
    await expect(client.session({ clientKey: 'alice' }).reply('1')).rejects.toBeInstanceOf(ConnectlySessionStoreError);
    down = false;
    expect((await client.session({ clientKey: 'alice' }).reply('2')).text).toBe('heard: 2');
  });
});

describe('validation', () => {
  it('reports bad input through the Observable, never by throwing, and sends nothing', async () => {
    const session = clientWith(new MemorySessionStore()).session({ clientKey: 'alice' });
    const bad = [
      () => session.send(''),
      () => session.send([{ nonsense: {} }] as never),
      () => session.send('hi', { timeoutMs: -1 }),
      () => session.sendSync('hi', { signal: 'no' as never }),
    ];
    for (const call of bad) {
      const events = call(); // must not throw
      await expect(firstValueFrom(events)).rejects.toBeInstanceOf(ConnectlyValidationError);
    }
    expect(h.mock.requests).toHaveLength(0);
  });

  it('names the fix for a sessionId given with a store, and for a store that is not one', () => {
    const client = clientWith(new MemorySessionStore());
    expect(() => client.session({ clientKey: 'alice', sessionId: 'abc' })).toThrow(/drop `sessionId`/);
    expect(() => h.clientWith({ sessionStore: {} as never })).toThrow(/must implement SessionStore \(missing get, set/);
    expect(() => h.clientWith({ sessionStore: new MemorySessionStore(), sessionLeaseMs: 0 })).toThrow(/sessionLeaseMs/);
  });

  it('a caller whose signal is already aborted gets ConnectlyAbortError and sends nothing', async () => {
    const session = clientWith(new MemorySessionStore()).session({ clientKey: 'alice' });
    await expect(session.reply('hi', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ConnectlyAbortError);
    expect(h.mock.requests).toHaveLength(0);
  });

  it('keeps the API key out of what a session shows', async () => {
    const session = clientWith(new MemorySessionStore()).session({ clientKey: 'alice' });
    await session.reply('hi');
    expect(JSON.stringify(session)).not.toContain(API_KEY);
  });
});
