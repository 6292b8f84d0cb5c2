// The conformance suite of a TurnLogStore: every implementation (memory, Redis, yours) must pass it.
// Call `turnLogConformance(name, makeStore)` from a spec file; each test gets a fresh store.
import { Subject, lastValueFrom, toArray } from 'rxjs';
import {
  type AgentEvent,
  ConnectlyApiError,
  ConnectlyTurnLogError,
  TURN_INTERRUPTED,
  TurnLog,
  type TurnLogItem,
  type TurnLogStore,
} from '../src/index.js';

function text(value: string): AgentEvent {
  return {
    type: 'messageEvent',
    known: true,
    sessionId: 's1',
    messageEvent: { content: { textContent: { text: value } } },
  } as AgentEvent;
}

function texts(items: TurnLogItem[]): string[] {
  return items.map((item) =>
    'event' in item
      ? (item.event as { messageEvent: { content: { textContent: { text: string } } } }).messageEvent.content
          .textContent.text
      : `end:${item.end}`,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, polling; fails after `limit` tries so a broken store cannot hang the suite. */
async function until(check: () => Promise<boolean> | boolean, limit = 200): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error('the condition never held');
}

export function turnLogConformance(name: string, makeStore: () => TurnLogStore | Promise<TurnLogStore>): void {
  describe(`${name}: the TurnLogStore contract`, () => {
    let store: TurnLogStore;
    let logs: TurnLog[];
    const turnLog = (options: { leaseMs?: number; retentionMs?: number } = {}) => {
      const log = new TurnLog({ store, leaseMs: 600, ...options });
      logs.push(log);
      return log;
    };

    beforeEach(async () => {
      store = await makeStore();
      logs = [];
    });
    afterEach(async () => {
      await Promise.all(logs.map((log) => log.close()));
      await store.close?.();
    });

    it('creates a turn once, numbers its entries 1, 2, 3… and adds nothing after its end', async () => {
      expect(await store.create('t1', 'me', 10_000, 60_000)).toBe(true);
      expect(await store.create('t1', 'other', 10_000, 60_000)).toBe(false);
      expect(await store.append('t1', 'a')).toBe(1);
      expect(await store.append('t1', 'b')).toBe(2);
      expect(await store.read('t1', 1, 10)).toEqual({ entries: ['b'], end: undefined, owned: true, meta: undefined });
      expect(await store.end('t1', 'completed', 'done', 60_000)).toBe(3);
      expect(await store.end('t1', 'interrupted', 'again', 60_000)).toBe(0);
      expect(await store.append('t1', 'late')).toBe(0);
      expect(await store.read('t1', 0, 10)).toEqual({
        entries: ['a', 'b', 'done'],
        end: 'completed',
        owned: false,
        meta: undefined,
      });
      expect(await store.read('t1', 0, 2)).toMatchObject({ entries: ['a', 'b'] });
      expect(await store.read('unknown', 0, 10)).toBeUndefined();
      expect(await store.append('unknown', 'x')).toBe(0);
    });

    it('gives one entry id to each of many concurrent appends', async () => {
      await store.create('t2', 'me', 10_000, 60_000);
      const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append('t2', `e${i}`)));
      expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('tells the owner about a stop request, and any other owner that the turn is not theirs', async () => {
      await store.create('t3', 'me', 10_000, 60_000);
      expect(await store.heartbeat('t3', 'me', 10_000, 60_000)).toBe('running');
      expect(await store.heartbeat('t3', 'someone else', 10_000, 60_000)).toBe('lost');
      expect(await store.requestStop('t3')).toBe(true);
      expect(await store.heartbeat('t3', 'me', 10_000, 60_000)).toBe('stop');
      await store.end('t3', 'stopped', 'end', 60_000);
      expect(await store.heartbeat('t3', 'me', 10_000, 60_000)).toBe('lost');
      expect(await store.requestStop('t3')).toBe(false);
    });

    it('lets a lease run out when its owner stops renewing it', async () => {
      await store.create('t4', 'me', 100, 60_000);
      await sleep(150);
      expect(await store.read('t4', 0, 10)).toMatchObject({ owned: false, end: undefined });
      expect(await store.heartbeat('t4', 'me', 100, 60_000)).toBe('lost');
    });

    it('forgets an ended turn once its retention has passed', async () => {
      await store.create('t5', 'me', 10_000, 60_000);
      await store.append('t5', 'a');
      await store.end('t5', 'completed', 'end', 100);
      await sleep(150);
      expect(await store.read('t5', 0, 10)).toBeUndefined();
    });

    it('a follower from the start gets every event once, the live ones too, then the end', async () => {
      const events = new Subject<AgentEvent>();
      const log = turnLog();
      const { turnId, ended } = await log.start(() => events);
      events.next(text('one'));
      const items = lastValueFrom(log.follow(turnId).pipe(toArray()));
      events.next(text('two'));
      events.next(text('three'));
      events.complete();
      expect(await ended).toBe('completed');
      expect(texts(await items)).toEqual(['one', 'two', 'three', 'end:completed']);
      expect((await items).map((item) => item.id)).toEqual([1, 2, 3, 4]);
    });

    it('a follower resuming after an id gets exactly the events after it, from another TurnLog', async () => {
      const events = new Subject<AgentEvent>();
      const { turnId, ended } = await turnLog().start(() => events);
      for (const word of ['a', 'b', 'c']) events.next(text(word));
      const elsewhere = turnLog();
      await until(async () => (await store.read(turnId, 0, 10))?.entries.length === 3);
      const rest = lastValueFrom(elsewhere.follow(turnId, 2).pipe(toArray()));
      events.next(text('d'));
      events.complete();
      await ended;
      expect(texts(await rest)).toEqual(['c', 'd', 'end:completed']);
      expect(texts(await lastValueFrom(elsewhere.follow(turnId, 5).pipe(toArray())))).toEqual([]);
    });

    it('keeps the turn running when every follower leaves', async () => {
      const events = new Subject<AgentEvent>();
      const log = turnLog();
      const { turnId, ended } = await log.start(() => events);
      const first = log.follow(turnId).subscribe();
      events.next(text('while watched'));
      first.unsubscribe();
      events.next(text('unwatched'));
      events.complete();
      expect(await ended).toBe('completed');
      expect(texts(await lastValueFrom(log.follow(turnId).pipe(toArray())))).toEqual([
        'while watched',
        'unwatched',
        'end:completed',
      ]);
    });

    it('a stop from another TurnLog ends the turn as stopped and unsubscribes from the agent', async () => {
      const events = new Subject<AgentEvent>();
      const { turnId, ended } = await turnLog({ leaseMs: 300 }).start(() => events);
      events.next(text('partial'));
      expect(await turnLog().stop(turnId)).toBe(true);
      expect(await ended).toBe('stopped');
      expect(events.observed).toBe(false);
      expect(texts(await lastValueFrom(turnLog().follow(turnId).pipe(toArray())))).toEqual(['partial', 'end:stopped']);
      expect(await turnLog().stop(turnId)).toBe(false);
    });

    it('a failed turn ends with the error its describer gives', async () => {
      const events = new Subject<AgentEvent>();
      const log = turnLog();
      const { turnId, ended } = await log.start(() => events, {
        describeError: (error) => ({ name: 'Failed', message: (error as Error).message }),
      });
      events.error(new ConnectlyApiError({ endpoint: 'invoke', status: 500, message: 'boom' }));
      expect(await ended).toBe('failed');
      const items = await lastValueFrom(log.follow(turnId).pipe(toArray()));
      expect(items).toEqual([
        { id: 1, end: 'failed', error: { name: 'Failed', message: expect.stringContaining('boom') } },
      ]);
    });

    it('the watchdog: a follower of a turn whose process died ends it as interrupted, for every reader', async () => {
      await store.create('dead', 'crashed process', 200, 60_000);
      await store.append('dead', JSON.stringify({ event: text('before the crash') }));
      const follower = turnLog({ leaseMs: 200 });
      const items = await lastValueFrom(follower.follow('dead').pipe(toArray()));
      expect(texts(items)).toEqual(['before the crash', 'end:interrupted']);
      expect(items[1]).toEqual({ id: 2, end: 'interrupted', error: TURN_INTERRUPTED });
      expect(await lastValueFrom(turnLog().follow('dead', 1).pipe(toArray()))).toEqual([items[1]]);
    });

    it('close() ends the turns still running as interrupted', async () => {
      const events = new Subject<AgentEvent>();
      const log = turnLog();
      const { turnId, ended } = await log.start(() => events);
      events.next(text('half'));
      await log.close();
      expect(await ended).toBe('interrupted');
      expect(texts(await lastValueFrom(turnLog().follow(turnId).pipe(toArray())))).toEqual(['half', 'end:interrupted']);
    });

    it('following an unknown or expired turn fails with a ConnectlyTurnLogError', async () => {
      await expect(lastValueFrom(turnLog().follow('never'))).rejects.toMatchObject({
        constructor: ConnectlyTurnLogError,
        reason: 'not-found',
      });
      const { turnId, ended } = await turnLog({ retentionMs: 100 }).start(() => new Subject<AgentEvent>().pipe(), {});
      await turnLog().stop(turnId);
      await ended;
      await sleep(150);
      await expect(lastValueFrom(turnLog().follow(turnId))).rejects.toBeInstanceOf(ConnectlyTurnLogError);
    });

    it('keeps the meta a turn was started with for every reader', async () => {
      const { turnId } = await turnLog().start(() => new Subject<AgentEvent>(), {
        meta: '{"traceparent":"00-a-b-01"}',
      });
      expect(await turnLog().meta(turnId)).toBe('{"traceparent":"00-a-b-01"}');
      expect(await turnLog().meta('unknown')).toBeUndefined();
    });

    it('refuses a second turn with a taken id', async () => {
      const log = turnLog();
      await log.start(() => new Subject<AgentEvent>(), { turnId: 'same' });
      await expect(log.start(() => new Subject<AgentEvent>(), { turnId: 'same' })).rejects.toMatchObject({
        reason: 'exists',
      });
    });
  });
}
