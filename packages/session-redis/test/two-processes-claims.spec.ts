// Delivery claims between separate OS processes sharing one real Redis: of a burst of redeliveries
// landing on two processes at once, each delivery is claimed by exactly one; a process killed while it
// held a claim only costs its lease, after which the redelivery is claimed elsewhere.
import { RedisConversationStore } from '../src/index.js';
import { type ClaimLine, type CustomerProcess, buildCustomerProcess, startProcess } from './customer-processes.cjs';
import { type RunningRedis, startRedis } from './redis-server.cjs';

jest.setTimeout(30_000);

let redis: RunningRedis;
let build: { file: string; dispose(): void };
const running: Array<CustomerProcess<ClaimLine>> = [];

beforeAll(async () => {
  [redis, build] = await Promise.all([startRedis(), buildCustomerProcess('claim-process.ts')]);
});
afterAll(async () => {
  for (const child of running) child.kill();
  await Promise.all(running.map((child) => child.exited));
  await redis.stop();
  build.dispose();
});

async function claimers(count: number, settings: { prefix: string; ids: string[]; leaseMs: number; stay?: boolean }) {
  const started = Array.from({ length: count }, () =>
    startProcess<ClaimLine>(build.file, { redisUrl: redis.url, ...settings }),
  );
  running.push(...started);
  await Promise.all(started.map((child) => child.until((lines) => lines.some((line) => line.type === 'ready'))));
  return started;
}

function claimsOf(lines: ClaimLine[]): string[] {
  const line = lines.find((each) => each.type === 'claims' || each.type === 'error');
  if (line?.type !== 'claims') throw new Error(`no claims: ${JSON.stringify(lines)}`);
  return line.claimed;
}

const hasClaims = (lines: ClaimLine[]): boolean => lines.some((line) => line.type !== 'ready');

it('two processes claiming the same 200 deliveries at once: each is claimed by exactly one', async () => {
  const ids = Array.from({ length: 200 }, (_, i) => `sig-${i}`);
  const processes = await claimers(2, { prefix: 'race:', ids, leaseMs: 60_000 });
  for (const child of processes) child.go();
  const claimed = (await Promise.all(processes.map((child) => child.until(hasClaims)))).flatMap(claimsOf);
  expect(claimed.sort()).toEqual([...ids].sort());
});

it('a process killed holding a claim costs only its lease: the redelivery is then claimed by another', async () => {
  const [crashing] = await claimers(1, { prefix: 'crash:', ids: ['sig-crash'], leaseMs: 1_000, stay: true });
  crashing!.go();
  expect(claimsOf(await crashing!.until(hasClaims))).toEqual(['sig-crash']);
  crashing!.kill();
  await crashing!.exited;
  const survivor = new RedisConversationStore({ url: redis.url, prefix: 'crash:' });
  try {
    let state = await survivor.claimDelivery('sig-crash', { token: 'survivor', leaseMs: 60_000 });
    for (let tries = 0; state !== 'claimed' && tries < 100; tries += 1) {
      expect(state).toBe('processing');
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await survivor.claimDelivery('sig-crash', { token: 'survivor', leaseMs: 60_000 });
    }
    expect(state).toBe('claimed');
    expect(await survivor.completeDelivery('sig-crash', { token: 'survivor', keepMs: 60_000 })).toBe(true);
  } finally {
    await survivor.close();
  }
});
