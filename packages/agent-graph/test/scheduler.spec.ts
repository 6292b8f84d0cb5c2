// A custom scheduler runs every timer of the client: the header timeout, the idle timeout and the retry back-off.
import { firstValueFrom } from 'rxjs';
import { ConnectlyTimeoutError, type Scheduler, type TimerHandle } from '../src/index.js';
import { collectUntilError, useMockServer } from './helpers.js';

interface Entry {
  ms: number;
  fired: boolean;
  cleared: boolean;
}

/** Real timers underneath, with a record of every timer the client asked for. */
function recordingScheduler(): Scheduler & { entries: Entry[] } {
  const entries: Entry[] = [];
  const handles = new Map<TimerHandle, Entry>();
  return {
    entries,
    setTimeout(callback, ms) {
      const entry: Entry = { ms, fired: false, cleared: false };
      entries.push(entry);
      const handle = setTimeout(() => {
        entry.fired = true;
        callback();
      }, ms);
      handles.set(handle, entry);
      return handle;
    },
    clearTimeout(handle) {
      const entry = handles.get(handle);
      if (entry) entry.cleared = true;
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}

const h = useMockServer();

describe('a custom scheduler', () => {
  it('times the wait for the response headers', async () => {
    const scheduler = recordingScheduler();
    h.mock.inject({ endpoint: 'health', stall: 'headers' });
    const { error } = await collectUntilError(h.clientWith({ scheduler, timeoutMs: 700, idleTimeoutMs: 0 }).health());
    expect(error).toBeInstanceOf(ConnectlyTimeoutError);
    expect(error).toMatchObject({ phase: 'headers', timeoutMs: 700 });
    expect(scheduler.entries).toHaveLength(1);
    expect(scheduler.entries[0]).toMatchObject({ ms: 700, fired: true });
  });

  it('times the silence of a stream', async () => {
    const scheduler = recordingScheduler();
    const sessionId = await h.newSession();
    h.mock.inject({ stall: 'body', afterEvents: 1 });
    const client = h.clientWith({ scheduler, timeoutMs: 0, idleTimeoutMs: 900 });
    const { values, error } = await collectUntilError(
      client.invoke({ clientKey: 'customer-1', sessionId, text: 'hi' }),
    );
    expect(values.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ name: 'ConnectlyTimeoutError', phase: 'idle', timeoutMs: 900 });
    // The first timer is armed for the whole limit; any re-arm waits for what is left of it.
    expect(scheduler.entries[0]?.ms).toBe(900);
    expect(scheduler.entries.every((entry) => entry.ms <= 900 && entry.fired)).toBe(true);
  });

  it('times the back-off between retries, and clears the time limits it no longer needs', async () => {
    const scheduler = recordingScheduler();
    h.mock.inject({ endpoint: 'health', status: 503 });
    const client = h.clientWith({ scheduler, timeoutMs: 5000, idleTimeoutMs: 6000, retryBaseDelayMs: 40 });
    await expect(firstValueFrom(client.health())).resolves.toEqual({ healthy: true });
    // The 503's body is read under the idle limit too; a unary answer's timeoutMs lasts until its body is read.
    const [firstAnswer, errorBodyIdle, backoff, secondAnswer, bodyIdle] = scheduler.entries;
    expect(firstAnswer).toEqual({ ms: 5000, fired: false, cleared: true });
    expect(errorBodyIdle).toEqual({ ms: 6000, fired: false, cleared: true });
    expect(backoff?.ms).toBeGreaterThanOrEqual(20);
    expect(backoff?.ms).toBeLessThanOrEqual(40);
    expect(backoff?.fired).toBe(true);
    expect(secondAnswer).toEqual({ ms: 5000, fired: false, cleared: true });
    expect(bodyIdle).toEqual({ ms: 6000, fired: false, cleared: true });
    expect(scheduler.entries).toHaveLength(5);
  });
});
