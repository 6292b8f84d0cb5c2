// RxJS's timeoutProvider for the n8n bundle (scripts/build-n8n.js puts it in place of RxJS's own): RxJS
// defers a few callbacks (an error nobody handles, a stopped notification) with the global setTimeout,
// which n8n's verification rejects; here they run on n8n's clock. The only RxJS provider the bundle uses.
import { type N8nTimer, n8nScheduler } from './timers';

export const timeoutProvider = {
  setTimeout(handler: (...args: unknown[]) => void, timeout = 0, ...args: unknown[]): N8nTimer {
    return n8nScheduler.setTimeout(() => handler(...args), timeout);
  },
  clearTimeout(handle: N8nTimer): void {
    n8nScheduler.clearTimeout(handle);
  },
  delegate: undefined,
};
