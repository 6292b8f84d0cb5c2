// Conformance cases of the inbox: accepted deliveries kept in order until a turn takes them, once per id,
// seen by every store, listed for the sweep while they wait.

import { strict as assert } from 'node:assert';
import type { CaseBody } from './conformance-types.js';

const KEY = 'business/alice';
const LONG = 60_000;

const entry = (id: string, at: number): { id: string; payload: string; at: number } => ({
  id,
  payload: JSON.stringify({ text: `said ${id}` }),
  at,
});

export const inboxCases: Record<string, CaseBody> = {
  'appendInbox: entries are kept in order, once per id, and every store reads them': async ({ store }) => {
    const a = await store();
    const b = await store();
    assert.deepEqual(await b.readInbox(KEY), []);
    assert.equal(await a.appendInbox(KEY, entry('d1', 1000), { ttlMs: LONG }), true);
    assert.equal(await b.appendInbox(KEY, entry('d2', 2000), { ttlMs: LONG }), true);
    assert.equal(await a.appendInbox(KEY, entry('d1', 3000), { ttlMs: LONG }), false, 'the same id twice');
    assert.deepEqual(await b.readInbox(KEY), [entry('d1', 1000), entry('d2', 2000)]);
    assert.deepEqual(await a.readInbox('business/bob'), []);
  },
  'appendInbox: of concurrent appends of one id, exactly one is added': async ({ store }) => {
    const stores = await Promise.all([store(), store(), store()]);
    const added = await Promise.all(
      stores.flatMap((s) => [1, 2, 3].map(() => s.appendInbox(KEY, entry('same', 1000), { ttlMs: LONG }))),
    );
    assert.equal(added.filter(Boolean).length, 1);
    assert.equal((await stores[0]!.readInbox(KEY)).length, 1);
  },
  'ackInbox: removes only the named entries, keeping the others in order': async ({ store }) => {
    const a = await store();
    const b = await store();
    for (const [id, at] of [
      ['d1', 1000],
      ['d2', 2000],
      ['d3', 3000],
    ] as const) {
      await a.appendInbox(KEY, entry(id, at), { ttlMs: LONG });
    }
    assert.equal(await b.ackInbox(KEY, ['d2', 'unknown']), 1);
    assert.deepEqual(await a.readInbox(KEY), [entry('d1', 1000), entry('d3', 3000)]);
    assert.equal(await b.ackInbox(KEY, ['d1', 'd3']), 2);
    assert.deepEqual(await a.readInbox(KEY), []);
    assert.equal(await b.ackInbox(KEY, ['d1']), 0);
  },
  'pendingInboxes: lists the conversations with waiting entries, longest waiting first, up to the limit': async ({
    store,
  }) => {
    const a = await store();
    const b = await store();
    assert.deepEqual(await b.pendingInboxes(10), []);
    await a.appendInbox('business/bob', entry('b1', 2000), { ttlMs: LONG });
    await a.appendInbox(KEY, entry('a1', 1000), { ttlMs: LONG });
    await a.appendInbox('business/carol', entry('c1', 3000), { ttlMs: LONG });
    assert.deepEqual(await b.pendingInboxes(10), [KEY, 'business/bob', 'business/carol']);
    assert.deepEqual(await b.pendingInboxes(2), [KEY, 'business/bob']);
    await b.ackInbox('business/bob', ['b1']);
    assert.deepEqual(await a.pendingInboxes(10), [KEY, 'business/carol']);
  },
};
