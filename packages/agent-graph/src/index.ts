// The public API of connectly-agent-graph.

export { ConnectlyClient } from './client.js';
export type { ConnectlyClientOptions } from './options.js';
export {
  DEFAULT_BASE_URL,
  HTTP_OPTION_NAMES,
  normalizeBaseUrl,
  type ConnectlyHttpOptions,
  type CallOptions,
} from './http/options.js';
export { TurnViews } from './agent/turn-views.js';
export type {
  InvokeRequest,
  InvokeRequestBase,
  InitRequest,
  InitResult,
  CloseRequest,
  CloseResult,
  HealthRequest,
  HealthResult,
} from './agent/requests.js';
export { type Scheduler, type TimerHandle, defaultScheduler } from './http/platform.js';
export { MAX_TIMER_DELAY_MS } from './http/timer-limit.js';
export type { ConnectlyLogger, OpenTelemetryApi, TelemetrySpan } from './http/call-log.js';
export { toAsyncIterable, toReadableStream } from './agent/iterate.js';
export {
  ConnectlySession,
  type AgentSession,
  type SessionClient,
  type SessionOptions,
  type TurnInput,
} from './sessions/session.js';
export { SharedSession } from './sessions/shared-session.js';
export {
  type SessionStore,
  type StoredSession,
  DEFAULT_SESSION_IDLE_MS,
  DEFAULT_SESSION_LEASE_MS,
  sessionKey,
} from './sessions/session-store.js';
export { MemorySessionStore } from './sessions/memory-session-store.js';
export type {
  ConversationStore,
  DeliveryClaimState,
  InboxEntry,
  ConversationHold,
  OfferedChoices,
  AutomatedSend,
  Outbox,
  OutboxOpened,
  OutboxSendState,
  OutboxToOpen,
} from './conversation/store.js';
export { MemoryConversationStore, type MemoryConversationStoreOptions } from './conversation/memory-store.js';
export { ConversationStoreFullError, checkStoreArgument, checkStoreArguments } from './conversation/checks.js';
export {
  LogConversationStore,
  type ConversationLog,
  type LogConversationStoreOptions,
} from './conversation/log-store.js';
export { ConversationLogError } from './conversation/log-fold.js';
export {
  type TurnLogStore,
  type TurnLogSnapshot,
  type TurnEndReason,
  type TurnHeartbeat,
  MemoryTurnLogStore,
} from './sessions/turn-log-store.js';
export {
  TurnLog,
  type TurnLogOptions,
  type TurnLogItem,
  type TurnErrorData,
  type StartTurnOptions,
  type FollowOptions,
  type RunningTurn,
  TURN_INTERRUPTED,
  DEFAULT_TURN_RETENTION_MS,
  DEFAULT_TURN_LEASE_MS,
} from './sessions/turn-log.js';
export {
  type AgentEvent,
  type AgentEventOf,
  type KnownAgentEvent,
  type UnknownAgentEvent,
  type HandoverEventType,
  type HandoverAgentEvent,
  type UnknownHandoverEvent,
  HANDOVER_EVENT_TYPES,
  isEventType,
  isHandoverEvent,
  isHandoverTriggered,
  eventPayload,
} from './wire/events.js';
export { ofType, handovers, replyText, toReply } from './agent/operators.js';
export { type AgentReply, summarizeReply, messageText } from './agent/reply.js';
export { type ReplyItem, type ReplyItemOptions, toReplyItem, fromReplyItem } from './agent/reply-item.js';
export { userText, assistantText, checkInputEvents, normalizeKeys } from './decoding/validate.js';
export {
  ConnectlyError,
  ConnectlyApiError,
  ConnectlyTimeoutError,
  ConnectlyProtocolError,
  ConnectlyConnectionError,
  ConnectlyValidationError,
  ConnectlyAbortError,
  ConnectlySessionStoreError,
  ConnectlyTurnLogError,
  type ProtocolErrorReason,
} from './errors/errors.js';
export type { Sanitize } from './errors/redaction.js';
export {
  LineDecoder,
  DEFAULT_MAX_LINE_LENGTH,
  type LineDecoderOptions,
  type LineHandler,
} from './decoding/line-decoder.js';
export {
  AgentEventDecoder,
  type AgentEventDecoderHandlers,
  type AgentEventDecoderOptions,
  readEnvelope,
  readErrorBody,
  type Envelope,
} from './decoding/envelope.js';
export type { ChunkSource, FetchLike, TransportRequest, TransportResponse } from './http/transport.js';
export type { PoolSettings } from './http/node-transport.js';
export { VERSION } from './version.js';
export {
  API_PATH,
  ENDPOINTS,
  RpcCode,
  RPC_CODE_NAMES,
  rpcCodeForHttpStatus,
  INPUT_EVENT_TYPES,
  RESPONSE_EVENT_TYPES,
} from './wire/api.js';
export type * from './wire/api.js';
export {
  SIGNATURE_HEADER,
  DEFAULT_WEBHOOK_MAX_AGE_MS,
  ConnectlyWebhookSignatureError,
  parseWebhook,
  verifyWebhookSignature,
  signWebhook,
  webhookSignature,
  type ParseWebhookOptions,
  type RawBody,
  type WebhookHeaders,
} from './messaging/webhook.js';
export {
  readWebhook,
  toInputEvents,
  choiceInputEvents,
  choiceKey,
  findChoice,
  sentChoices,
  keepChoices,
  type InboundEvent,
  type InboundMessage,
  type InboundButtonReply,
  type InboundEcho,
  type InboundStatus,
  type InboundOther,
  type ReplyChoice,
  type ReplyChoices,
} from './messaging/inbound.js';
export {
  toWhatsAppMessages,
  DEFAULT_MAX_MESSAGES,
  type WhatsAppMappingOptions,
  type WhatsAppReply,
  type UnmappedEvent,
  type AdjustedEvent,
} from './messaging/outbound.js';
export { markAutomated, isAutomatedEcho, SENT_BY_FIELD, SENT_BY_AUTOMATION } from './messaging/marks.js';
export { turnNotProcessed } from './messaging/outcome.js';
export type * from './wire/message-api.js';
export {
  ConnectlyMessagingClient,
  type ConnectlyMessagingClientOptions,
  type MessagingCallOptions,
  type Recipient,
  type SessionMessageRequest,
  type TemplateMessageRequest,
  type MessageSent,
  type ReplySent,
  type MappedReply,
  type SendReplyOptions,
  type WebhookTopic,
  type WebhookConfiguration,
  type WebhookRegistration,
} from './messaging/client.js';
export { ConnectlyMessagingError, ConnectlyReplyIncompleteError } from './messaging/errors.js';
export { ConversationEngine } from './conversation/engine.js';
export {
  AGENT_HOLD,
  HUMAN_REPLY_REASON,
  ConversationState,
  deliveryRefusal,
  fingerprint,
  type ConversationStateOptions,
  type DeliveryClaim,
  type DeliveryRefusal,
  type WindowState,
} from './conversation/state.js';
export {
  ConnectlyOutsideWindowError,
  DEFAULT_ENGINE_LEASE_MS,
  DEFAULT_HOLD_TTL_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  WHATSAPP_WINDOW_MS,
  type ConversationEngineOptions,
  type EngineAgent,
  type EngineLogger,
  type EngineMessaging,
  type HandoverNotice,
  type RawDelivery,
  type ReceiveOutcome,
  type ReceiveResult,
  type WindowTemplate,
} from './conversation/engine-options.js';
