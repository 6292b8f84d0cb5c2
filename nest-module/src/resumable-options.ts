// The `resumable` option of the module, apart from the service that reads it, so the module's options
// and the service each import it without importing each other.

import type { TurnLogStore } from 'connectly-agent-graph';

/** The `resumable` option of `ConnectlyModule.forRoot()`. */
export interface ResumableOptions {
  /**
   * Where turns keep their events: `new RedisTurnLogStore({ url })` for several replicas (a factory
   * `() => store` makes the module build it and close it on shutdown), `new MemoryTurnLogStore()` for one process.
   */
  store: TurnLogStore | (() => TurnLogStore | Promise<TurnLogStore>);
  /** How long a turn's events stay resumable after its end. Default 10 minutes. */
  retentionMs?: number;
  /** How long a turn stays owned after its replica's last heartbeat: readers learn of a dead replica within it. Default 10 s. */
  leaseMs?: number;
}
