// LogConversationStore over an in-memory append-only log: the public ConversationStore conformance suite
// (stores over one namespace share one log, as processes share one list), plus what the suite does not
// cover: records it cannot read, many stores racing one claim, and clocks that differ between processes.
import {
  type ConversationLog,
  ConversationLogError,
  ConnectlyValidationError,
  LogConversationStore,
} from '../src/index.js';
import { conversationStoreConformance } from '../src/testing.js';

const ID = 'sig-0123456789abcdef';
const KEY = 'business/alice';

/** A shared array; each call lets other callers run first, as a round trip to a server would. */
class ArrayLog implements ConversationLog {
  readonly records: string[] = [];

  async append(record: string): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.records.push(record);
  }

  async read(): Promise<readonly string[]> {
    await new Promise((resolve) => setImmediate(resolve));
    return [...this.records];
  }
}

/** What a store appends for one call, read off a scratch log. */
async function recordOf(call: (store: LogConversationStore) => Promise<unknown>): Promise<Record<string, unknown>> {
  const scratch = new ArrayLog();
  await call(new LogConversationStore(scratch));
  return JSON.parse(scratch.records[0]!) as Record<string, unknown>;
}

describe('LogConversationStore: the ConversationStore conformance suite', () => {
  const logs = new Map<string, ArrayLog>();
  const open = (namespace: string) => {
    const log = logs.get(namespace) ?? new ArrayLog();
    logs.set(namespace, log);
    return new LogConversationStore(log);
  };
  for (const { name, run } of conversationStoreConformance(open)) it(name, run);
});

describe('LogConversationStore', () => {
  it('skips what it cannot read: chat messages, records of another version, unknown calls, refused arguments', async () => {
    const log = new ArrayLog();
    const claim = await recordOf((s) => s.claimDelivery(ID, { token: 'foreign', leaseMs: 60_000 }));
    const hold = await recordOf((s) => s.setHold(KEY, { by: 'foreign', reason: 'r' }, { ttlMs: 60_000 }));
    const foreign = [
      'not json at all',
      '',
      'null',
      '[1,2,3]',
      JSON.stringify({ type: 'human', data: { content: 'hello', additional_kwargs: {} } }),
      JSON.stringify({ type: 'ai', data: { content: 'Hi! How can I help?' } }),
      JSON.stringify({ ...claim, v: 2 }),
      JSON.stringify({ ...claim, op: 'forgetEverything' }),
      JSON.stringify({ ...claim, args: [{ token: '', leaseMs: 60_000 }] }),
      JSON.stringify({ ...claim, at: 'yesterday' }),
      JSON.stringify({ ...hold, args: [null, { ttlMs: 60_000 }] }),
    ];
    log.records.push(...foreign);
    const a = new LogConversationStore(log);
    const b = new LogConversationStore(log);
    expect(await b.deliveryState(ID)).toBeUndefined();
    expect(await b.getHold(KEY)).toBeUndefined();
    expect(await a.claimDelivery(ID, { token: 'mine', leaseMs: 60_000 })).toBe('claimed');
    log.records.push(...foreign);
    expect(await b.claimDelivery(ID, { token: 'other', leaseMs: 60_000 })).toBe('processing');
    expect(await a.completeDelivery(ID, { token: 'mine', keepMs: 60_000 })).toBe(true);
    expect(await b.deliveryState(ID)).toBe('done');
    expect(await b.setHold(KEY, { by: 'agent', reason: 'handover' }, { ttlMs: 60_000 })).toMatchObject({ by: 'agent' });
    expect(log.records.filter((record) => foreign.includes(record))).toHaveLength(2 * foreign.length);
  });

  it('of many stores over one log racing to claim a delivery with different tokens, exactly one claims it', async () => {
    const log = new ArrayLog();
    const stores = Array.from({ length: 6 }, () => new LogConversationStore(log));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % stores.length]!.claimDelivery(ID, { token: `racer-${i}`, leaseMs: 60_000 }),
      ),
    );
    expect(results.filter((state) => state === 'claimed')).toHaveLength(1);
    expect(results.filter((state) => state === 'processing')).toHaveLength(29);
    const winner = `racer-${results.indexOf('claimed')}`;
    const renewed = await Promise.all(
      stores.map((store, i) => store.renewDelivery(ID, { token: i === 0 ? winner : `racer-x${i}`, leaseMs: 60_000 })),
    );
    expect(renewed).toEqual([true, false, false, false, false, false]);
  });

  it('judges a change by the clock its writer stamped, and a read by the reader’s own clock', async () => {
    const log = new ArrayLog();
    const writer = new LogConversationStore(log, { now: () => 1_000_000 });
    const behind = new LogConversationStore(log, { now: () => 1_000_400 });
    const ahead = new LogConversationStore(log, { now: () => 1_000_600 });
    expect(await writer.claimDelivery(ID, { token: 'w', leaseMs: 500 })).toBe('claimed');
    expect(await behind.deliveryState(ID)).toBe('processing');
    expect(await ahead.deliveryState(ID)).toBeUndefined();
    // By the writer's clock the lease still runs; by the clock `ahead` stamps, it ran out.
    expect(await writer.claimDelivery(ID, { token: 'w2', leaseMs: 500 })).toBe('processing');
    expect(await ahead.claimDelivery(ID, { token: 'a', leaseMs: 500 })).toBe('claimed');
    expect(await writer.renewDelivery(ID, { token: 'w', leaseMs: 500 })).toBe(false);
    expect(await behind.deliveryState(ID)).toBe('processing');

    const hold = await writer.setHold(KEY, { by: 'agent', reason: 'handover' }, { ttlMs: 500 });
    expect(hold).toEqual({ by: 'agent', reason: 'handover', since: 1_000_000, expiresAt: 1_000_500 });
    expect(await behind.getHold(KEY)).toEqual(hold);
    expect(await ahead.getHold(KEY)).toBeUndefined();
  });

  it('lets a record appended twice (an append retried after a lost answer) take effect once', async () => {
    const log = new ArrayLog();
    const retrying: ConversationLog = {
      append: async (record) => {
        await log.append(record);
        await log.append(record);
      },
      read: () => log.read(),
    };
    const store = new LogConversationStore(retrying);
    // Each send recorded once: both are kept (at most 2), each matches one echo.
    await store.recordSend(KEY, { fingerprint: 'f-1' }, { keep: 2, ttlMs: 60_000 });
    await store.recordSend(KEY, { fingerprint: 'f-2' }, { keep: 2, ttlMs: 60_000 });
    expect(await store.matchEcho(KEY, { fingerprint: 'f-1' })).toBe(true);
    expect(await store.matchEcho(KEY, { fingerprint: 'f-2' })).toBe(true);
    expect(await store.matchEcho(KEY, { fingerprint: 'f-2' })).toBe(false);
    expect(log.records).toHaveLength(10);
  });

  it('refuses bad arguments before appending anything, naming what to pass', async () => {
    const log = new ArrayLog();
    const store = new LogConversationStore(log);
    await expect(store.claimDelivery('', { token: 't', leaseMs: 1_000 })).rejects.toThrow(ConnectlyValidationError);
    await expect(store.recordSend(KEY, { fingerprint: '' }, { keep: 1, ttlMs: 1_000 })).rejects.toThrow(/hash/);
    await expect(store.findChoices('')).rejects.toThrow(/sessionKey/);
    expect(log.records).toEqual([]);
  });

  it('rejects with ConversationLogError, naming the fix, when the log does not give back what it appended', async () => {
    const forgetful: ConversationLog = { append: async () => undefined, read: async () => [] };
    const store = new LogConversationStore(forgetful);
    await expect(store.claimDelivery(ID, { token: 't', leaseMs: 1_000 })).rejects.toThrow(ConversationLogError);
    await expect(store.lock(KEY, 'me', 1_000)).rejects.toThrow(
      /read\(\) must return every record its append\(\) wrote/,
    );
  });
});
