// Conformance cases of the outbox: the reply a turn is about to send, kept in one step with the claims on
// the entries it answers; each message is begun by one sender only, and the outbox is seen by every store.

import { strict as assert } from 'node:assert';
import { type CaseBody, sleep } from './conformance-types.js';

const KEY = 'business/alice';
const LONG = 60_000;

const outbox = (token: string, entries: string[], messages = 2) => ({
  token,
  entries,
  payload: JSON.stringify({ reply: `from ${token}` }),
  messages,
});

export const outboxCases: Record<string, CaseBody> = {
  'openOutbox: marks every entry answered and keeps the reply, seen by every store': async ({ store }) => {
    const a = await store();
    const b = await store();
    assert.equal(await b.readOutbox(KEY), undefined);
    assert.deepEqual(await a.openOutbox(KEY, outbox('t1', ['d1', 'd2']), { keepMs: LONG }), {
      opened: true,
      taken: [],
      open: false,
    });
    assert.deepEqual(await b.readOutbox(KEY), {
      token: 't1',
      entries: ['d1', 'd2'],
      payload: JSON.stringify({ reply: 'from t1' }),
      states: ['pending', 'pending'],
    });
    assert.equal(await b.deliveryState('answered:d1'), 'done');
    assert.equal(await b.deliveryState('answered:d2'), 'done');
    assert.equal(await b.claimDelivery('answered:d1', { token: 'other', leaseMs: LONG }), 'done');
    assert.equal(await a.readOutbox('business/bob'), undefined);
  },
  'openOutbox: the same call again is opened; another token finds it open and writes nothing': async ({ store }) => {
    const a = await store();
    const b = await store();
    await a.openOutbox(KEY, outbox('t1', ['d1']), { keepMs: LONG });
    assert.deepEqual(await a.openOutbox(KEY, outbox('t1', ['d1']), { keepMs: LONG }), {
      opened: true,
      taken: [],
      open: false,
    });
    assert.deepEqual(await b.openOutbox(KEY, outbox('t2', ['d3']), { keepMs: LONG }), {
      opened: false,
      taken: [],
      open: true,
    });
    assert.equal((await a.readOutbox(KEY))?.token, 't1');
    assert.equal(await a.deliveryState('answered:d3'), undefined);
  },
  'openOutbox: writes nothing when another token claimed an entry, and names it': async ({ store }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claimDelivery('answered:d2', { token: 'earlier', leaseMs: LONG }), 'claimed');
    assert.deepEqual(await b.openOutbox(KEY, outbox('t1', ['d1', 'd2']), { keepMs: LONG }), {
      opened: false,
      taken: ['d2'],
      open: false,
    });
    assert.equal(await a.readOutbox(KEY), undefined);
    assert.equal(await a.deliveryState('answered:d1'), undefined);
  },
  'openOutbox: of concurrent opens of one entry by different tokens, exactly one is opened': async ({
    store,
    racers,
  }) => {
    const stores = await Promise.all([store(), store()]);
    const results = await Promise.all(
      Array.from({ length: racers }, (_, i) =>
        stores[i % 2]!.openOutbox(`business/c${i % 3}`, outbox(`t${i}`, ['same']), { keepMs: LONG }),
      ),
    );
    assert.equal(results.filter((result) => result.opened).length, 1);
  },
  'markOutbox: one sender begins each message; a repeat of its own call is true; then sent': async ({
    store,
    racers,
  }) => {
    const a = await store();
    const b = await store();
    await a.openOutbox(KEY, outbox('t1', ['d1']), { keepMs: LONG });
    const begun = await Promise.all(
      Array.from({ length: racers }, (_, i) =>
        (i % 2 === 0 ? a : b).markOutbox(KEY, { token: 't1', index: 0, state: 'sending', sender: `s${i}` }),
      ),
    );
    assert.equal(begun.filter(Boolean).length, 1);
    const winner = `s${begun.indexOf(true)}`;
    assert.equal(await b.markOutbox(KEY, { token: 't1', index: 0, state: 'sending', sender: winner }), true);
    assert.deepEqual((await b.readOutbox(KEY))?.states, ['sending', 'pending']);
    assert.equal(await a.markOutbox(KEY, { token: 't1', index: 0, state: 'sent', sender: winner }), true);
    assert.equal(await a.markOutbox(KEY, { token: 't1', index: 0, state: 'sending', sender: winner }), false);
    assert.equal(await a.markOutbox(KEY, { token: 't1', index: 0, state: 'sent', sender: winner }), false);
    assert.equal(await b.markOutbox(KEY, { token: 't1', index: 1, state: 'sent', sender: 'x' }), true);
    assert.deepEqual((await a.readOutbox(KEY))?.states, ['sent', 'sent']);
  },
  'markOutbox: false for another token, a message it does not have, or no outbox': async ({ store }) => {
    const a = await store();
    assert.equal(await a.markOutbox(KEY, { token: 't1', index: 0, state: 'sending', sender: 's' }), false);
    await a.openOutbox(KEY, outbox('t1', ['d1'], 1), { keepMs: LONG });
    assert.equal(await a.markOutbox(KEY, { token: 't2', index: 0, state: 'sending', sender: 's' }), false);
    assert.equal(await a.markOutbox(KEY, { token: 't1', index: 1, state: 'sending', sender: 's' }), false);
    assert.deepEqual((await a.readOutbox(KEY))?.states, ['pending']);
  },
  'closeOutbox: only its own token closes it; the answered claims stay': async ({ store }) => {
    const a = await store();
    const b = await store();
    await a.openOutbox(KEY, outbox('t1', ['d1'], 0), { keepMs: LONG });
    assert.deepEqual((await b.readOutbox(KEY))?.states, []);
    assert.equal(await b.closeOutbox(KEY, { token: 't2' }), false);
    assert.equal(await b.closeOutbox(KEY, { token: 't1' }), true);
    assert.equal(await a.readOutbox(KEY), undefined);
    assert.equal(await a.closeOutbox(KEY, { token: 't1' }), false);
    assert.equal(await a.deliveryState('answered:d1'), 'done');
    assert.equal((await a.openOutbox(KEY, outbox('t2', ['d2']), { keepMs: LONG })).opened, true);
  },
  'openOutbox: the outbox and its claims expire after keepMs': async ({ store, shortMs }) => {
    const a = await store();
    await a.openOutbox(KEY, outbox('t1', ['d1']), { keepMs: shortMs });
    await sleep(shortMs * 2);
    assert.equal(await a.readOutbox(KEY), undefined);
    assert.equal(await a.deliveryState('answered:d1'), undefined);
  },
};
