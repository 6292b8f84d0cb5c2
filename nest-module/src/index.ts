// The public API of nestjs-connectly.

export { ConnectlyModule, createConnectlyClient } from './connectly.module.js';
export { ConnectlyService } from './connectly.service.js';
export {
  CONNECTLY_CLIENT,
  CONNECTLY_MESSAGING_CLIENT,
  CONNECTLY_MODULE_OPTIONS,
  InjectConnectlyClient,
  InjectConnectlyMessagingClient,
  InjectConnectlyOptions,
} from './connectly.constants.js';
export {
  CONNECTLY_ASYNC_OPTIONS_TYPE,
  CONNECTLY_OPTIONS_TYPE,
  type ConnectlyModuleOptions,
  type ConnectlyOptionsFactory,
} from './connectly.module-definition.js';
export {
  CONNECTLY_SESSION_STORE,
  type ResolvedSessionStore,
  type SessionStoreOption,
} from './connectly.session-store.js';
export { toSse, toSseError, type SseErrorData, type ToSseOptions } from './sse.js';
export {
  ConnectlyTurns,
  CONNECTLY_TURN_LOG,
  RESUMABLE_MAX_PENDING_DATA_LENGTH,
  lastEventId,
  type ResolvedTurnLog,
  type ResumableSseOptions,
} from './resumable.js';
export type { ResumableOptions } from './resumable-options.js';
export { ConnectlyConversations, type ConversationRequest } from './conversations/conversations.service.js';
export {
  type ConnectlyConversationsOptions,
  type ConversationStoreOption,
} from './conversations/conversations.options.js';
export { ConnectlyMessagingModule } from './messaging/messaging.module.js';
export { ConnectlyMessagingService } from './messaging/messaging.service.js';
export { ConnectlyWebhookGuard, ConnectlyWebhook, type WebhookRequest } from './messaging/webhook.guard.js';
export {
  CONNECTLY_MESSAGING_OPTIONS,
  type ConnectlyMessagingOptions,
  type ConnectlyMessagingModuleOptions,
} from './messaging/messaging.options.js';

// The whole core, on purpose: one copy of its classes for the app and this module (`instanceof
// ConnectlyError` holds), one package to import under strict package managers. The core is pinned to the
// exact version this package is released with, so its exports are this package's API (see README).
export * from 'connectly-agent-graph';
