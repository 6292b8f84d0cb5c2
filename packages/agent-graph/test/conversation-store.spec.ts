// MemoryConversationStore against the public ConversationStore conformance suite, the suite's own teeth
// (stores that break one rule fail the case that names it), and the memory store's bound.
import { strict as assert } from 'node:assert';
import {
  type ConversationStore,
  ConnectlyValidationError,
  ConversationStoreFullError,
  type DeliveryClaimState,
  MemoryConversationStore,
} from '../src/index.js';
import { type ConformanceCase, conversationStoreConformance } from '../src/testing.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

/** One store per namespace: two "processes" of one process share the instance. */
function memory(make: () => ConversationStore = () => new MemoryConversationStore()) {
  const stores = new Map<string, ConversationStore>();
  return (namespace: string): ConversationStore => {
    const store = stores.get(namespace) ?? make();
    stores.set(namespace, store);
    return store;
  };
}

describe('MemoryConversationStore: the ConversationStore conformance suite', () => {
  for (const { name, run } of conversationStoreConformance(memory())) it(name, run);
});

/** The named case of the suite, run against `make`'s store: rejects when the store breaks its rule. */
async function caseAgainst(name: string, make: () => ConversationStore): Promise<void> {
  const found: ConformanceCase | undefined = conversationStoreConformance(memory(make)).find((c) => c.name === name);
  assert.ok(found, `no case named ${name}`);
  await found.run();
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

// Reads, then writes after a pause: what an implementation built on GET then SET does.
class RacyClaims extends MemoryConversationStore {
  readonly #seen = new Map<string, string>();
  override async claimDelivery(id: string): Promise<DeliveryClaimState> {
    const taken = this.#seen.has(id);
    await tick();
    if (taken) return 'processing';
    this.#seen.set(id, 'processing');
    return 'claimed';
  }
}

// Completes and releases whatever claim is there, without comparing tokens.
class TokenBlind extends MemoryConversationStore {
  override async completeDelivery(id: string, options: { keepMs: number }): Promise<boolean> {
    await super.releaseDelivery(id, { token: 'x' });
    return super.completeDelivery(id, { token: 'any', keepMs: options.keepMs });
  }
}

// The last write wins, even an older time delivered late.
class LastWriteWins extends MemoryConversationStore {
  #last = new Map<string, number>();
  override async noteInbound(key: string, at: number): Promise<number> {
    this.#last.set(key, at);
    return at;
  }
  override async lastInbound(key: string): Promise<number | undefined> {
    return this.#last.get(key);
  }
}

// Matches an echo without consuming the send it matched.
class MatchesForever extends MemoryConversationStore {
  readonly #sent = new Set<string>();
  override async recordSend(key: string, send: { fingerprint: string }): Promise<void> {
    this.#sent.add(`${key}|${send.fingerprint}`);
  }
  override async matchEcho(key: string, echo: { fingerprint: string }): Promise<boolean> {
    return this.#sent.has(`${key}|${echo.fingerprint}`);
  }
}

describe('the conformance suite fails a store that breaks the contract', () => {
  it.each([
    ['claimDelivery: of many concurrent claims on two stores, exactly one is claimed', () => new RacyClaims()],
    ['a stale claim can neither complete, release nor renew the claim that replaced it', () => new TokenBlind()],
    [
      'noteInbound: the last inbound time never moves back, whatever order deliveries land in',
      () => new LastWriteWins(),
    ],
    ['matchEcho: an echo without an id matches by fingerprint, each recorded send once', () => new MatchesForever()],
  ])('%s', async (name, make) => {
    await expect(caseAgainst(name, make)).rejects.toThrow(assert.AssertionError);
  });

  it('names every case once', () => {
    const names = conversationStoreConformance(memory()).map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(20);
  });
});

describe('MemoryConversationStore', () => {
  it('refuses a hold past `maxEntries` with a typed error naming the fix, and never drops a live one', async () => {
    const time = clock();
    const store = new MemoryConversationStore({ maxEntries: 2, now: time.now });
    await store.setHold('a', { by: 'agent', reason: 'r' }, { ttlMs: 1_000 });
    await store.setHold('b', { by: 'agent', reason: 'r' }, { ttlMs: 5_000 });
    const full = await store.setHold('c', { by: 'agent', reason: 'r' }, { ttlMs: 1_000 }).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(ConversationStoreFullError);
    expect((full as Error).message).toMatch(/raise `maxEntries`/);
    expect(await store.getHold('a')).toMatchObject({ by: 'agent' });
    expect(await store.getHold('b')).toMatchObject({ by: 'agent' });
    time.advance(1_000); // a's TTL ran out: it makes room
    await store.setHold('c', { by: 'agent', reason: 'r' }, { ttlMs: 1_000 });
    expect(await store.getHold('b')).toMatchObject({ by: 'agent' });
  });

  it('refuses a new delivery claim past `maxEntries` rather than forget one', async () => {
    const store = new MemoryConversationStore({ maxEntries: 1 });
    expect(await store.claimDelivery('d1', { token: 't', leaseMs: 60_000 })).toBe('claimed');
    await expect(store.claimDelivery('d2', { token: 't', leaseMs: 60_000 })).rejects.toThrow(
      ConversationStoreFullError,
    );
    expect(await store.claimDelivery('d1', { token: 'u', leaseMs: 60_000 })).toBe('processing');
  });

  it('expires by its clock: a lease, a hold and the replay window', async () => {
    const time = clock();
    const store = new MemoryConversationStore({ now: time.now });
    await store.claimDelivery('d', { token: 'a', leaseMs: 100 });
    await store.setHold('k', { by: 'agent', reason: 'r' }, { ttlMs: 500 });
    time.advance(100);
    expect(await store.claimDelivery('d', { token: 'b', leaseMs: 100 })).toBe('claimed');
    expect(await store.completeDelivery('d', { token: 'b', keepMs: 1_000 })).toBe(true);
    expect(await store.getHold('k')).toEqual({ by: 'agent', reason: 'r', since: 1_000_000, expiresAt: 1_000_500 });
    time.advance(400);
    expect(await store.getHold('k')).toBeUndefined();
    expect(await store.claimDelivery('d', { token: 'c', leaseMs: 100 })).toBe('done');
    time.advance(600);
    expect(await store.claimDelivery('d', { token: 'c', leaseMs: 100 })).toBe('claimed');
  });

  it('rejects empty keys and tokens, and non-positive durations, naming what to pass', async () => {
    const store = new MemoryConversationStore();
    await expect(store.claimDelivery('', { token: 't', leaseMs: 1 })).rejects.toThrow(/x-connectly-hmac-sha256/);
    await expect(store.claimDelivery('d', { token: '', leaseMs: 1 })).rejects.toThrow(/randomUUID/);
    await expect(store.setHold('k', { by: 'a', reason: 'r' }, { ttlMs: 0 })).rejects.toThrow(ConnectlyValidationError);
    await expect(store.recordSend('k', { fingerprint: 'f' }, { keep: 1.5, ttlMs: 1 })).rejects.toThrow(
      /`keep` must be a positive integer/,
    );
    expect(() => new MemoryConversationStore({ maxEntries: 0 })).toThrow(ConnectlyValidationError);
  });

  it('hands out copies: changing what it returned changes nothing stored', async () => {
    const store = new MemoryConversationStore();
    const offer = { messageId: 'm', at: 1, choices: { a: { kind: 'button' as const, text: 'Yes' } } };
    await store.recordChoices('k', offer, { keep: 5, ttlMs: 60_000 });
    offer.choices.a.text = 'changed';
    const found = await store.findChoices('k');
    expect(found?.choices.a?.text).toBe('Yes');
    found!.choices.a!.text = 'changed again';
    expect((await store.findChoices('k', 'm'))?.choices.a?.text).toBe('Yes');
  });
});
