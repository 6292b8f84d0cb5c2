// Leaks: many invokes, sequential and concurrent, a third cancelled mid-stream, leave no timers or
// sockets behind, and the heap comes back to where it was.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { useMockServer } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const h = useMockServer();

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Waits (bounded) until no more timers and sockets are active than at the start: idle keep-alive sockets close by themselves. */
async function settle(baseline: Record<string, number>, limitMs = 15_000): Promise<Record<string, number>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const now = resources();
    const extra = Object.fromEntries(
      Object.entries(now).filter(([name, count]) => count > (baseline[name] ?? 0) && name !== 'PromiseResolve'),
    );
    if (Object.keys(extra).length === 0 || Date.now() > deadline) return extra;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

it('10,000 sequential and 1,000 concurrent invokes, a third cancelled mid-stream, leave nothing behind', async () => {
  const sessionId = (await firstValueFrom(h.client.init({ clientKey: 'customer-1' }))).sessionId;
  const request = { clientKey: 'customer-1', sessionId, text: 'hi' };
  for (let i = 0; i < 200; i += 1) await lastValueFrom(h.client.invoke(request).pipe(toArray())); // warm-up
  h.mock.reset();
  const baseline = resources();
  const heapBefore = heapMB();

  for (let i = 0; i < 10_000; i += 1) {
    const events = await lastValueFrom(h.client.invoke(request).pipe(toArray()));
    if (events.length !== 2) throw new Error(`invoke ${i} delivered ${events.length} events`);
  }

  // The cancelled streams have a session of their own whose streams stall after the first event, so
  // each of them is still open when its cancellation arrives, however loaded the machine is.
  const stalled = (await firstValueFrom(h.client.init({ clientKey: 'customer-2' }))).sessionId;
  const cancelled = { clientKey: 'customer-2', sessionId: stalled, text: 'hi' };
  h.mock.inject({ sessionId, lineDelayMs: 100, times: 666 });
  h.mock.inject({ sessionId: stalled, stall: 'body', afterEvents: 1, times: 334 });
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      i % 3 === 0
        ? lastValueFrom(h.client.invoke(cancelled).pipe(take(1), toArray())) // cancelled after its first event
        : lastValueFrom(h.client.invoke(request).pipe(toArray())),
    ),
  );
  expect(results.filter((events, i) => events.length === (i % 3 === 0 ? 1 : 2))).toHaveLength(1000);
  await h.mock.waitForAbandoned(334, 10_000);
  expect(h.mock.abandoned).toBe(334);
  await h.mock.waitForIdle(10_000);
  expect(h.mock.openResponses).toBe(0);

  expect(await settle(baseline)).toEqual({});
  h.mock.reset(); // the mock's own record of 11,000 requests is not the client's memory
  const heapAfter = heapMB();
  expect(heapAfter - heapBefore).toBeLessThan(16);
}, 120_000);
