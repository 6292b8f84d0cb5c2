// RxJS's timeoutProvider for the n8n bundle (scripts/build-n8n.js puts it in place of RxJS's own): RxJS
// defers a few callbacks (an error nobody handles, a stopped notification) with the global setTimeout,
// which n8n's verification rejects; here they run on n8n's clock. The only RxJS provider the bundle uses.
import { type TimerHandle, defaultScheduler } from './platform';

export const timeoutProvider = {
  setTimeout(handler: (...args: unknown[]) => void, timeout = 0, ...args: unknown[]): TimerHandle {
    return defaultScheduler.setTimeout(() => handler(...args), timeout);
  },
  clearTimeout(handle: TimerHandle): void {
    defaultScheduler.clearTimeout(handle);
  },
  delegate: undefined,
};
