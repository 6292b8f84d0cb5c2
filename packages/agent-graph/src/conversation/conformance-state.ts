// Conformance cases of a conversation's state: holds and their TTL, offered choices (by message, newest
// first, bounded), the monotonic last inbound time, and echoes matched against the automated sends.

import { strict as assert } from 'node:assert';
import { type CaseBody, sleep } from './conformance-types.js';
import type { OfferedChoices } from './store.js';

const KEY = 'business/alice';
const LONG = 60_000;

function offer(messageId: string, text: string, at = 1_700_000_000_000): OfferedChoices {
  return { messageId, at, choices: { 'sugg:0': { kind: 'suggestion', text } } };
}

/** Polls `check` until it holds; fails after `limit` tries so a broken store cannot hang the suite. */
async function until(check: () => Promise<boolean>, stepMs: number, limit = 50): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    if (await check()) return;
    await sleep(stepMs);
  }
  assert.fail(`the condition never held within ${limit} tries`);
}

export const stateCases: Record<string, CaseBody> = {
  'setHold: a hold carries who, why and when, is seen by every store, and clearHold says whether there was one':
    async ({ store }) => {
      const a = await store();
      const b = await store();
      assert.equal(await b.getHold(KEY), undefined);
      const before = Date.now();
      const hold = await a.setHold(KEY, { by: 'agent', reason: 'asked for a human' }, { ttlMs: LONG });
      assert.equal(hold.by, 'agent');
      assert.equal(hold.reason, 'asked for a human');
      assert.ok(hold.since >= before - 5000 && hold.since <= Date.now() + 5000, `since ${hold.since}`);
      assert.ok(hold.expiresAt > hold.since && hold.expiresAt <= hold.since + LONG + 5000, `until ${hold.expiresAt}`);
      assert.deepEqual(await b.getHold(KEY), hold);
      assert.equal(await b.getHold('business/bob'), undefined);
      assert.equal(await b.clearHold(KEY), true);
      assert.equal(await a.getHold(KEY), undefined);
      assert.equal(await a.clearHold(KEY), false);
    },

  'setHold: holding a held conversation keeps the first hold and moves only its expiry': async ({ store }) => {
    const a = await store();
    const b = await store();
    const first = await a.setHold(KEY, { by: 'agent', reason: 'handover' }, { ttlMs: LONG });
    const again = await b.setHold(KEY, { by: 'human-reply', reason: 'a person wrote' }, { ttlMs: 2 * LONG });
    assert.deepEqual({ ...again, expiresAt: 0 }, { ...first, expiresAt: 0 });
    assert.ok(again.expiresAt > first.expiresAt, 'the expiry moved');
    assert.deepEqual(await a.getHold(KEY), again);
  },

  'setHold: a hold lasts until its TTL, then the conversation is the agent’s again': async ({ store, shortMs }) => {
    const s = await store();
    await s.setHold(KEY, { by: 'agent', reason: 'handover' }, { ttlMs: shortMs * 2 });
    assert.notEqual(await s.getHold(KEY), undefined);
    await until(async () => (await s.getHold(KEY)) === undefined, shortMs);
    assert.equal(await s.clearHold(KEY), false);
  },

  'setHold: concurrent holds from two stores leave one hold in force, the same for both': async ({ store }) => {
    const a = await store();
    const b = await store();
    const holds = await Promise.all([
      a.setHold(KEY, { by: 'teammate-a', reason: 'a' }, { ttlMs: LONG }),
      b.setHold(KEY, { by: 'teammate-b', reason: 'b' }, { ttlMs: LONG }),
    ]);
    const kept = await a.getHold(KEY);
    assert.ok(kept !== undefined);
    for (const hold of holds) assert.deepEqual([hold.by, hold.since], [kept.by, kept.since]);
  },

  'findChoices: a tap finds the offer of the message it names; with no context, the newest': async ({ store }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.findChoices(KEY), undefined);
    await a.recordChoices(KEY, offer('m1', 'Shoes?'), { keep: 5, ttlMs: LONG });
    await b.recordChoices(KEY, offer('m2', 'Hats?'), { keep: 5, ttlMs: LONG });
    assert.deepEqual(await a.findChoices(KEY, 'm1'), offer('m1', 'Shoes?'));
    assert.deepEqual(await a.findChoices(KEY, 'm2'), offer('m2', 'Hats?'));
    assert.deepEqual(await b.findChoices(KEY), offer('m2', 'Hats?'));
    assert.equal(await b.findChoices(KEY, 'm-unknown'), undefined);
    assert.equal(await b.findChoices('business/bob'), undefined);
  },

  'recordChoices: at most `keep` offers, the oldest dropped; an offer made again moves first': async ({ store }) => {
    const s = await store();
    for (const id of ['m1', 'm2', 'm3']) await s.recordChoices(KEY, offer(id, id), { keep: 3, ttlMs: LONG });
    await s.recordChoices(KEY, offer('m1', 'm1 again'), { keep: 3, ttlMs: LONG });
    assert.deepEqual(await s.findChoices(KEY), offer('m1', 'm1 again'));
    await s.recordChoices(KEY, offer('m4', 'm4'), { keep: 3, ttlMs: LONG });
    assert.equal(await s.findChoices(KEY, 'm2'), undefined, 'the oldest offer was dropped');
    for (const id of ['m3', 'm4']) assert.deepEqual(await s.findChoices(KEY, id), offer(id, id));
    assert.deepEqual(await s.findChoices(KEY, 'm1'), offer('m1', 'm1 again'));
  },

  'recordChoices: an offer is forgotten after its TTL; a newer one outlives it': async ({ store, shortMs }) => {
    const s = await store();
    await s.recordChoices(KEY, offer('m-long', 'long'), { keep: 5, ttlMs: LONG });
    await s.recordChoices(KEY, offer('m-short', 'short'), { keep: 5, ttlMs: shortMs });
    assert.deepEqual(await s.findChoices(KEY), offer('m-short', 'short'));
    await until(async () => (await s.findChoices(KEY, 'm-short')) === undefined, shortMs);
    assert.deepEqual(await s.findChoices(KEY), offer('m-long', 'long'));
  },

  'noteInbound: the last inbound time never moves back, whatever order deliveries land in': async ({ store }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.lastInbound(KEY), undefined);
    assert.equal(await a.noteInbound(KEY, 2_000, { ttlMs: LONG }), 2_000);
    assert.equal(await b.noteInbound(KEY, 1_000, { ttlMs: LONG }), 2_000);
    assert.equal(await b.lastInbound(KEY), 2_000);
    const times = Array.from({ length: 20 }, (_, i) => 3_000 + ((i * 7) % 20) * 100);
    await Promise.all(times.map((at, i) => (i % 2 ? a : b).noteInbound(KEY, at, { ttlMs: LONG })));
    assert.equal(await a.lastInbound(KEY), Math.max(...times));
    assert.equal(await a.lastInbound('business/bob'), undefined);
  },

  'noteInbound: the last inbound time is forgotten after its TTL': async ({ store, shortMs }) => {
    const s = await store();
    await s.noteInbound(KEY, 5_000, { ttlMs: shortMs });
    await until(async () => (await s.lastInbound(KEY)) === undefined, shortMs);
  },

  'matchEcho: an echo with an id matches the send recorded with it, once': async ({ store }) => {
    const a = await store();
    const b = await store();
    await a.recordSend(KEY, { messageId: 'out-1', fingerprint: 'f-hello' }, { keep: 10, ttlMs: LONG });
    await a.recordSend(KEY, { messageId: 'out-2', fingerprint: 'f-hello' }, { keep: 10, ttlMs: LONG });
    assert.equal(await b.matchEcho(KEY, { messageId: 'out-2', fingerprint: 'f-other' }), true);
    assert.equal(await b.matchEcho(KEY, { messageId: 'out-2', fingerprint: 'f-other' }), false);
    // A person's message with the same text but its own id is not the bot's.
    assert.equal(await b.matchEcho(KEY, { messageId: 'human-1', fingerprint: 'f-hello' }), false);
    assert.equal(await a.matchEcho('business/bob', { messageId: 'out-1', fingerprint: 'f-hello' }), false);
    assert.equal(await a.matchEcho(KEY, { messageId: 'out-1', fingerprint: 'f-hello' }), true);
  },

  'matchEcho: an echo without an id matches by fingerprint, each recorded send once': async ({ store }) => {
    const a = await store();
    const b = await store();
    await a.recordSend(KEY, { fingerprint: 'f-hello' }, { keep: 10, ttlMs: LONG });
    await a.recordSend(KEY, { messageId: 'out-9', fingerprint: 'f-hello' }, { keep: 10, ttlMs: LONG });
    await a.recordSend(KEY, { fingerprint: 'f-bye' }, { keep: 10, ttlMs: LONG });
    assert.equal(await b.matchEcho(KEY, { fingerprint: 'f-hello' }), true);
    assert.equal(await b.matchEcho(KEY, { fingerprint: 'f-hello' }), true);
    assert.equal(await b.matchEcho(KEY, { fingerprint: 'f-hello' }), false, 'a third echo is a person’s');
    // An echo with an id its send was recorded without (recorded before Connectly answered).
    assert.equal(await b.matchEcho(KEY, { messageId: 'out-late', fingerprint: 'f-bye' }), true);
    assert.equal(await b.matchEcho(KEY, { fingerprint: 'f-bye' }), false);
  },

  'matchEcho: two stores matching one echo at once: exactly one matches': async ({ store }) => {
    const a = await store();
    const b = await store();
    await a.recordSend(KEY, { fingerprint: 'f-once' }, { keep: 10, ttlMs: LONG });
    const matched = await Promise.all([
      a.matchEcho(KEY, { fingerprint: 'f-once' }),
      b.matchEcho(KEY, { fingerprint: 'f-once' }),
      a.matchEcho(KEY, { fingerprint: 'f-once' }),
      b.matchEcho(KEY, { fingerprint: 'f-once' }),
    ]);
    assert.equal(matched.filter(Boolean).length, 1);
  },

  'recordSend: at most `keep` sends per conversation, the oldest dropped, each forgotten after its TTL': async ({
    store,
    shortMs,
  }) => {
    const s = await store();
    for (const n of [1, 2, 3]) await s.recordSend(KEY, { fingerprint: `f-${n}` }, { keep: 2, ttlMs: LONG });
    assert.equal(await s.matchEcho(KEY, { fingerprint: 'f-1' }), false, 'the oldest send was dropped');
    await s.recordSend(KEY, { fingerprint: 'f-short' }, { keep: 5, ttlMs: shortMs });
    await sleep(shortMs * 2);
    assert.equal(await s.matchEcho(KEY, { fingerprint: 'f-short' }), false, 'an expired send matches nothing');
    assert.equal(await s.matchEcho(KEY, { fingerprint: 'f-3' }), true);
    assert.equal(await s.matchEcho(KEY, { fingerprint: 'f-2' }), true);
  },
};
