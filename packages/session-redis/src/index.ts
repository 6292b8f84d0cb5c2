// The public API of connectly-session-redis.

export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';
export { RedisConversationStore, type RedisConversationStoreOptions } from './redis-conversation-store.js';
export { RedisTurnLogStore, type RedisTurnLogStoreOptions } from './redis-turn-log-store.js';
export type { RedisConnectionOptions } from './redis-connection.js';
