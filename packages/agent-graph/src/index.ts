// The public API of connectly-agent-graph.

export { ConnectlyClient } from './client.js';
export { DEFAULT_BASE_URL, normalizeBaseUrl, type ConnectlyClientOptions, type CallOptions } from './options.js';
export type {
  InvokeRequest,
  InvokeRequestBase,
  InitRequest,
  InitResult,
  CloseRequest,
  CloseResult,
  HealthRequest,
  HealthResult,
} from './requests.js';
export { type Scheduler, type TimerHandle, defaultScheduler } from './platform.js';
export { MAX_TIMER_MS } from './timer-limit.js';
export type { ConnectlyLogger, OpenTelemetryApi, TelemetrySpan } from './call-log.js';
export { toAsyncIterable, toReadableStream } from './iterate.js';
export {
  ConnectlySession,
  type AgentSession,
  type SessionClient,
  type SessionOptions,
  type TurnInput,
} from './session.js';
export { SharedSession } from './shared-session.js';
export {
  type SessionStore,
  type StoredSession,
  DEFAULT_SESSION_IDLE_MS,
  DEFAULT_SESSION_LEASE_MS,
  sessionKey,
} from './session-store.js';
export { MemorySessionStore } from './memory-session-store.js';
export type {
  ConversationStore,
  DeliveryClaimState,
  ConversationHold,
  OfferedChoices,
  AutomatedSend,
} from './conversation/store.js';
export { MemoryConversationStore, type MemoryConversationStoreOptions } from './conversation/memory-store.js';
export { ConversationStoreFullError, checkStoreArgument, checkStoreArguments } from './conversation/checks.js';
export {
  type TurnLogStore,
  type TurnLogSnapshot,
  type TurnEndReason,
  type TurnHeartbeat,
  MemoryTurnLogStore,
} from './turn-log-store.js';
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
} from './turn-log.js';
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
} from './events.js';
export { ofType, handovers, replyText, toReply } from './operators.js';
export { type AgentReply, summarizeReply, messageText } from './reply.js';
export { type ReplyItem, type ReplyItemOptions, toReplyItem, fromReplyItem } from './reply-item.js';
export { userText, assistantText, checkInputEvents, normalizeKeys } from './validate.js';
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
  type Sanitize,
} from './errors.js';
export { LineDecoder, DEFAULT_MAX_LINE_LENGTH, type LineDecoderOptions, type LineHandler } from './line-decoder.js';
export {
  AgentEventDecoder,
  type AgentEventDecoderHandlers,
  type AgentEventDecoderOptions,
  readEnvelope,
  readErrorBody,
  type Envelope,
} from './envelope.js';
export type { ChunkSource, FetchLike, TransportRequest, TransportResponse } from './transport.js';
export type { PoolSettings } from './node-transport.js';
export { VERSION } from './version.js';
export {
  API_PATH,
  ENDPOINTS,
  RpcCode,
  RPC_CODE_NAMES,
  rpcCodeForHttpStatus,
  INPUT_EVENT_TYPES,
  RESPONSE_EVENT_TYPES,
} from './wire.js';
export type * from './wire.js';
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
export {
  HandoverHolds,
  HandoverHoldsFullError,
  HUMAN_REPLY_REASON,
  turnNotProcessed,
  type HandoverHold,
  type HandoverHoldsOptions,
} from './messaging/holds.js';
export { DeliveryDeduper, type DeliveryDeduperOptions } from './messaging/deliveries.js';
export type * from './messaging/wire.js';
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
