// n8n's clock for the node: every timer the node's code runs (the client's time limits and back-off,
// RxJS's deferred callbacks) is a sleepWithAbort from n8n-workflow, as n8n's verification asks.
import { sleepWithAbort } from 'n8n-workflow';

/** A timer: cleared by aborting its controller, which also settles its sleepWithAbort. */
export type N8nTimer = AbortController;

/** setTimeout/clearTimeout on n8n's sleepWithAbort. */
export const n8nScheduler = {
  setTimeout(callback: () => void, ms: number): N8nTimer {
    const timer = new AbortController();
    sleepWithAbort(ms, timer.signal).then(
      // Cleared after it fired but before this ran: it must not run anymore.
      () => (timer.signal.aborted ? undefined : callback()),
      // sleepWithAbort only rejects when clearTimeout aborted it: a cleared timer has nothing to do.
      () => undefined,
    );
    return timer;
  },
  clearTimeout(handle: unknown): void {
    (handle as N8nTimer | undefined)?.abort();
  },
};
