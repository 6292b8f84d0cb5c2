// Conformance cases of delivery claims: one winner of any race, leases that run out, stale claims that
// cannot clobber the claim that replaced them, and the replay window. Also the session primitives.

import { strict as assert } from 'node:assert';
import { type CaseBody, sleep } from './conformance-types.js';

const ID = 'sig-0123456789abcdef';

export const deliveryCases: Record<string, CaseBody> = {
  'claimDelivery: a new delivery is claimed; a repeat while it is processed finds it processing': async ({ store }) => {
    const s = await store();
    assert.equal(await s.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'claimed');
    assert.equal(await s.claimDelivery(ID, { token: 'b', leaseMs: 60_000 }), 'processing');
    assert.equal(await s.claimDelivery('sig-other', { token: 'c', leaseMs: 60_000 }), 'claimed');
  },

  'deliveryState: says what holds a delivery without claiming it': async ({ store }) => {
    const a = await store();
    const b = await store();
    assert.equal(await b.deliveryState(ID), undefined);
    assert.equal(await a.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'claimed');
    assert.equal(await b.deliveryState(ID), 'processing');
    assert.equal(await a.completeDelivery(ID, { token: 'a', keepMs: 60_000 }), true);
    assert.equal(await b.deliveryState(ID), 'done');
    assert.equal(await b.deliveryState('sig-other'), undefined);
    assert.equal(await b.claimDelivery('sig-other', { token: 'b', leaseMs: 60_000 }), 'claimed');
  },

  'claimDelivery: the same claim sent again (a lost answer) still holds it; once done it is done': async ({
    store,
  }) => {
    const s = await store();
    assert.equal(await s.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'claimed');
    assert.equal(await s.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'claimed');
    assert.equal(await s.completeDelivery(ID, { token: 'a', keepMs: 60_000 }), true);
    assert.equal(await s.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'done');
  },

  'claimDelivery: of many concurrent claims on two stores, exactly one is claimed': async ({ store, racers }) => {
    const stores = [await store(), await store()];
    const results = await Promise.all(
      Array.from({ length: racers }, (_, i) =>
        stores[i % 2]!.claimDelivery(ID, { token: `racer-${i}`, leaseMs: 60_000 }),
      ),
    );
    assert.equal(results.filter((state) => state === 'claimed').length, 1, `results: ${results.join(', ')}`);
    assert.equal(results.filter((state) => state === 'processing').length, racers - 1);
  },

  'completeDelivery: a completed delivery is done for every store, and stays done on a late release': async ({
    store,
  }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'claimed');
    assert.equal(await a.completeDelivery(ID, { token: 'a', keepMs: 60_000 }), true);
    assert.equal(await b.claimDelivery(ID, { token: 'b', leaseMs: 60_000 }), 'done');
    assert.equal(await a.releaseDelivery(ID, { token: 'a' }), false);
    assert.equal(await a.claimDelivery(ID, { token: 'c', leaseMs: 60_000 }), 'done');
  },

  'releaseDelivery: a released claim lets the redelivery be claimed again, on any store': async ({ store }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'claimed');
    assert.equal(await a.releaseDelivery(ID, { token: 'a' }), true);
    assert.equal(await b.claimDelivery(ID, { token: 'b', leaseMs: 60_000 }), 'claimed');
    assert.equal(await a.claimDelivery(ID, { token: 'c', leaseMs: 60_000 }), 'processing');
  },

  'claimDelivery: a claim whose lease ran out (its handler crashed) is claimed again': async ({ store, shortMs }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claimDelivery(ID, { token: 'crashed', leaseMs: shortMs }), 'claimed');
    await sleep(shortMs * 2);
    assert.equal(await b.claimDelivery(ID, { token: 'next', leaseMs: 60_000 }), 'claimed');
    assert.equal(await a.claimDelivery(ID, { token: 'third', leaseMs: 60_000 }), 'processing');
  },

  'a stale claim can neither complete, release nor renew the claim that replaced it': async ({ store, shortMs }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claimDelivery(ID, { token: 'stale', leaseMs: shortMs }), 'claimed');
    await sleep(shortMs * 2);
    assert.equal(await b.claimDelivery(ID, { token: 'fresh', leaseMs: 60_000 }), 'claimed');
    assert.equal(await a.renewDelivery(ID, { token: 'stale', leaseMs: 60_000 }), false);
    assert.equal(await a.releaseDelivery(ID, { token: 'stale' }), false);
    assert.equal(await a.completeDelivery(ID, { token: 'stale', keepMs: 60_000 }), false);
    // The fresh claim is still processing, and still its own.
    assert.equal(await a.claimDelivery(ID, { token: 'other', leaseMs: 60_000 }), 'processing');
    assert.equal(await b.completeDelivery(ID, { token: 'fresh', keepMs: 60_000 }), true);
    assert.equal(await a.completeDelivery(ID, { token: 'stale', keepMs: 60_000 }), false);
    assert.equal(await a.claimDelivery(ID, { token: 'other', leaseMs: 60_000 }), 'done');
  },

  'renewDelivery: a renewed claim outlives its first lease; only its own token renews it': async ({
    store,
    shortMs,
  }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claimDelivery(ID, { token: 'a', leaseMs: shortMs * 2 }), 'claimed');
    assert.equal(await b.renewDelivery(ID, { token: 'not-a', leaseMs: 60_000 }), false);
    assert.equal(await a.renewDelivery(ID, { token: 'a', leaseMs: 60_000 }), true);
    await sleep(shortMs * 3);
    assert.equal(await b.claimDelivery(ID, { token: 'b', leaseMs: 60_000 }), 'processing');
    assert.equal(await a.renewDelivery('sig-never-claimed', { token: 'a', leaseMs: 60_000 }), false);
  },

  'completeDelivery: a done delivery is forgotten after keepMs, the replay window': async ({ store, shortMs }) => {
    const s = await store();
    assert.equal(await s.claimDelivery(ID, { token: 'a', leaseMs: 60_000 }), 'claimed');
    assert.equal(await s.completeDelivery(ID, { token: 'a', keepMs: shortMs }), true);
    assert.equal(await s.claimDelivery(ID, { token: 'b', leaseMs: 60_000 }), 'done');
    await sleep(shortMs * 2);
    assert.equal(await s.claimDelivery(ID, { token: 'c', leaseMs: 60_000 }), 'claimed');
  },

  'completeDelivery: a claim that ran out with nobody claiming since is still marked done': async ({
    store,
    shortMs,
  }) => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claimDelivery(ID, { token: 'slow', leaseMs: shortMs }), 'claimed');
    await sleep(shortMs * 2);
    assert.equal(await a.completeDelivery(ID, { token: 'slow', keepMs: 60_000 }), true);
    assert.equal(await b.claimDelivery(ID, { token: 'b', leaseMs: 60_000 }), 'done');
  },

  'the session primitives: one lock holder across stores; compare-and-delete of the session': async ({ store }) => {
    const a = await store();
    const b = await store();
    const locks = await Promise.all([a.lock('k', 'a', 60_000), b.lock('k', 'b', 60_000)]);
    assert.equal(locks.filter(Boolean).length, 1);
    const [holder, other] = locks[0] ? ['a', 'b'] : ['b', 'a'];
    assert.equal(await a.renew('k', other, 60_000), false);
    await b.unlock('k', other);
    assert.equal(await a.lock('k', other, 60_000), false);
    await a.unlock('k', holder);
    assert.equal(await b.lock('k', other, 60_000), true);
    await a.set('k', { sessionId: 's1', startedAt: 1 }, 60_000);
    assert.deepEqual(await b.get('k'), { sessionId: 's1', startedAt: 1 });
    await b.delete('k', 's0');
    assert.deepEqual(await a.get('k'), { sessionId: 's1', startedAt: 1 });
    await b.delete('k', 's1');
    assert.equal(await a.get('k'), undefined);
  },
};
