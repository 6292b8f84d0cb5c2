// The time limits of a call, on a Scheduler: a deadline that fires once, and an idle limit that fires
// after a silence. A limit of 0 never fires.

import type { Scheduler, TimerHandle } from './platform.js';

export interface Limit {
  stop(): void;
}

const NEVER: Limit = { stop: () => undefined };

/** Calls `onExpire` once, `ms` from now, unless stopped first. */
export function deadline(scheduler: Scheduler, ms: number, onExpire: () => void): Limit {
  if (ms <= 0) return NEVER;
  const timer = scheduler.setTimeout(onExpire, ms);
  return { stop: () => scheduler.clearTimeout(timer) };
}

/**
 * Calls `onSilent` once nothing has happened for `ms`; `touch()` marks activity. One timer at a time,
 * re-armed only when it fires, so a busy stream costs a clock read per chunk, not a timer.
 */
export class IdleLimit implements Limit {
  private last = Date.now();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly ms: number,
    private readonly onSilent: () => void,
  ) {
    if (ms > 0) this.arm(ms);
  }

  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number): void {
    this.timer = this.scheduler.setTimeout(() => {
      const silent = Date.now() - this.last;
      if (silent >= this.ms) {
        this.timer = undefined;
        this.onSilent();
      } else this.arm(this.ms - silent);
    }, delay);
  }
}
