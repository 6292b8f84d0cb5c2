// The module's session store: one you made (an instance: yours to close), or one the module builds from
// a factory in the options and therefore closes on application shutdown.

import type { SessionStore } from 'connectly-agent-graph';

/** A store, or a factory the module calls once (and whose store it closes on shutdown). */
export type SessionStoreOption = SessionStore | (() => SessionStore | Promise<SessionStore>);

/** What the module resolved from the `sessionStore` option. */
export interface ResolvedSessionStore {
  store: SessionStore | undefined;
  /** True when the module built the store, so it closes it. */
  owned: boolean;
}

/** The resolved store. Override it in tests like any provider. */
export const CONNECTLY_SESSION_STORE: unique symbol = Symbol('CONNECTLY_SESSION_STORE');

export async function resolveSessionStore(option: SessionStoreOption | undefined): Promise<ResolvedSessionStore> {
  if (typeof option === 'function') return { store: await option(), owned: true };
  return { store: option, owned: false };
}
