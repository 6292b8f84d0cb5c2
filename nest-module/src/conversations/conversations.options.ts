// The `conversations` option of ConnectlyModule: the conversation engine's store (shared by every replica)
// and its settings. With it, the store is the agent client's session store as well: one store, one
// conversation per customer across the fleet.

import {
  type ConversationEngineOptions,
  type ConversationStore,
  ConnectlyValidationError,
  type SessionStore,
} from 'connectly-agent-graph';

/** A conversation store, or a factory the module calls once (and whose store it closes on shutdown). */
export type ConversationStoreOption = ConversationStore | (() => ConversationStore | Promise<ConversationStore>);

/** The `conversations` option of `ConnectlyModule.forRoot()`: the WhatsApp loop, run by `ConnectlyConversations`. */
export interface ConnectlyConversationsOptions extends Pick<
  ConversationEngineOptions,
  'holdTtlMs' | 'leaseMs' | 'sweepIntervalMs' | 'windowTemplate' | 'mapping' | 'onHandover'
> {
  /**
   * Where every replica keeps the loop's state: `new RedisConversationStore({ url })` for a fleet,
   * `new MemoryConversationStore()` for one process. It also serves as the agent's session store.
   */
  store: ConversationStoreOption;
}

/** The session store the module resolves: the conversations' store when there is one. */
export function sessionStoreOption(options: {
  sessionStore?: SessionStore | (() => SessionStore | Promise<SessionStore>) | undefined;
  conversations?: ConnectlyConversationsOptions | undefined;
}): SessionStore | (() => SessionStore | Promise<SessionStore>) | undefined {
  if (options.conversations === undefined) return options.sessionStore;
  if (options.sessionStore !== undefined) {
    throw new ConnectlyValidationError(
      'sessionStore',
      'ConnectlyModule options are invalid: give either `sessionStore` or `conversations.store` (which serves as the session store too), not both',
    );
  }
  const store = options.conversations.store;
  if (typeof store !== 'function' && (typeof store !== 'object' || store === null)) {
    throw new ConnectlyValidationError(
      'conversations.store',
      'ConnectlyModule options are invalid: `conversations.store` must be a ConversationStore (e.g. new RedisConversationStore({ url })) or a factory returning one',
    );
  }
  return store;
}
