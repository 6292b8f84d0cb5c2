// The Connectly Agent Graph API as it travels on the wire: its paths, codes and event keys, and its JSON
// (lowerCamelCase). Every field is optional on output: protobuf JSON omits default values (false, "", 0, []).
// Facts only, no parsing: the mock server imports this file as an independent check of the client.

/** Where the five endpoints live below the base URL. */
export const API_PATH = '/external/v1/ai/agent_graph';

/** The five endpoints, all `POST` with a JSON body. */
export const ENDPOINTS = Object.freeze(['init', 'invoke', 'invoke_sync', 'close', 'health'] as const);
export type Endpoint = (typeof ENDPOINTS)[number];

/** Where the Message and Webhook APIs live below the base URL: then `/{businessId}/{endpoint}`. */
export const MESSAGE_API_PATH = '/v1/businesses';

/** The Message and Webhook API calls, named by their path below `/v1/businesses/{businessId}/`. */
export type MessagingEndpoint =
  | 'send/messages'
  | 'send/whatsapp_templated_messages'
  | 'create/webhooks'
  | 'webhooks'
  | 'update/webhooks'
  | 'delete/webhooks';

/**
 * The content kinds of a Message API `message`, of which a message holds exactly one; `text` may go
 * with the interactive ones as their body.
 */
export const MESSAGE_CONTENT_KINDS = Object.freeze([
  'attachments',
  'location',
  'listMessage',
  'replyButtonMessage',
  'singleProductMessage',
  'multiProductMessage',
] as const);

/** google.rpc.Code: the numeric `code` of every error body. */
export const RpcCode = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const);
export type RpcCodeName = keyof typeof RpcCode;

/** google.rpc.Code names, by number. */
export const RPC_CODE_NAMES: Readonly<Record<number, RpcCodeName>> = Object.freeze(
  Object.fromEntries(Object.entries(RpcCode).map(([name, code]) => [code, name as RpcCodeName])),
);

// The pairs grpc-gateway v2 uses between an HTTP status and a gRPC code.
const RPC_CODE_FOR_HTTP_STATUS: Readonly<Record<number, number>> = Object.freeze({
  400: RpcCode.INVALID_ARGUMENT,
  401: RpcCode.UNAUTHENTICATED,
  403: RpcCode.PERMISSION_DENIED,
  404: RpcCode.NOT_FOUND,
  409: RpcCode.ABORTED,
  429: RpcCode.RESOURCE_EXHAUSTED,
  499: RpcCode.CANCELLED,
  500: RpcCode.INTERNAL,
  501: RpcCode.UNIMPLEMENTED,
  502: RpcCode.UNAVAILABLE,
  503: RpcCode.UNAVAILABLE,
  504: RpcCode.DEADLINE_EXCEEDED,
});

/** The gRPC code grpc-gateway pairs with an HTTP status: what an error body without a code means. */
export function rpcCodeForHttpStatus(status: number): number {
  return RPC_CODE_FOR_HTTP_STATUS[status] ?? RpcCode.UNKNOWN;
}

export type MessageRole = 'MESSAGE_EVENT_ROLE_UNSPECIFIED' | 'USER' | 'ASSISTANT';

export interface TextContent {
  text?: string;
}
export interface AudioContent {
  url?: string;
}
export interface ImageContent {
  url?: string;
  caption?: string;
}
export interface LocationContent {
  latitude?: number;
  longitude?: number;
  name?: string;
  address?: string;
}

export interface MessageContent {
  textContent?: TextContent;
  audioContent?: AudioContent;
  imageContent?: ImageContent;
  locationContent?: LocationContent;
}

export interface MessageEvent {
  role?: MessageRole;
  content?: MessageContent;
  /** RFC 3339 timestamp. */
  createdAt?: string;
  metadata?: Record<string, unknown>;
}

// ---- input events (`inputEvents[]`: each element holds exactly one of these keys) ----

export interface ButtonResponseEvent {
  id?: string;
  title?: string;
}
export interface ListReplyEvent {
  id?: string;
  title?: string;
  description?: string;
}
export interface FilledFormResponseEvent {
  formData?: Record<string, string>;
}
export interface StoreEvent {
  storeId?: string;
  name?: string;
  cpName?: string;
  city?: string;
  state?: string;
}

export interface InputEventMap {
  messageEvent: MessageEvent;
  buttonResponseEvent: ButtonResponseEvent;
  listReplyEvent: ListReplyEvent;
  filledFormResponseEvent: FilledFormResponseEvent;
  storeEvent: StoreEvent;
}
export type InputEventType = keyof InputEventMap;
/** The keys an element of `inputEvents` may hold (exactly one each). */
export const INPUT_EVENT_TYPES: readonly InputEventType[] = Object.freeze([
  'messageEvent',
  'buttonResponseEvent',
  'listReplyEvent',
  'filledFormResponseEvent',
  'storeEvent',
]);
export type InputEvent = { [K in InputEventType]: { [P in K]: InputEventMap[K] } }[InputEventType];

// ---- response events (`responseEvents[]`: each element holds exactly one of these keys) ----

export interface Product {
  productId?: string;
  title?: string;
  description?: string;
  url?: string;
  imageUrl?: string;
  price?: number;
  currency?: string;
  facets?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}
export interface RecommendationEvent {
  products?: Product[];
}
export interface ChatSuggestionEvent {
  suggestedQuestions?: string[];
}
export interface AgentHandoverEvent {
  triggerHandover?: boolean;
  reason?: string;
  reasonNative?: string;
}
export interface StorefrontHandoverEvent {
  triggerHandover?: boolean;
  initialSearchPhrase?: string;
}
export interface OrderStatusHandoverEvent {
  triggerHandover?: boolean;
}
export interface LocationQueryHandoverEvent {
  triggerHandover?: boolean;
}
export interface OnelivDoctorHandoverEvent {
  triggerHandover?: boolean;
  doctorSpecialty?: string;
  doctorName?: string;
  requirements?: string;
}
export interface LeadgenHandoverEvent {
  triggerHandover?: boolean;
}

export interface InteractiveAsset {
  id?: string;
  url?: string;
  caption?: string;
  filename?: string;
}
export interface InteractiveHeader {
  text?: string;
  attachment?: { type?: string; asset?: InteractiveAsset };
}
export interface InteractiveButton {
  id?: string;
  text?: string;
}
export interface ListRow {
  id?: string;
  text?: string;
  description?: string;
}
export interface ListMessage {
  header?: InteractiveHeader;
  footer?: { text?: string };
  button?: InteractiveButton;
  sections?: Array<{ title?: string; rows?: ListRow[] }>;
  buttonText?: string;
}
export interface ReplyButtonMessage {
  header?: InteractiveHeader;
  footer?: { text?: string };
  buttons?: InteractiveButton[];
}
export interface SingleProductMessage {
  footer?: { text?: string };
  actionButton?: InteractiveButton;
  buttons?: Array<InteractiveButton & Record<string, unknown>>;
  [field: string]: unknown;
}
export interface Interactive {
  listMessage?: ListMessage;
  replyButtonMessage?: ReplyButtonMessage;
  singleProductMessage?: SingleProductMessage;
  [kind: string]: unknown;
}
export interface ConnectlyInteractiveEvent {
  interactive?: Interactive;
}

export interface ResponseEventMap {
  messageEvent: MessageEvent;
  recommendationEvent: RecommendationEvent;
  chatSuggestionEvent: ChatSuggestionEvent;
  agentHandoverEvent: AgentHandoverEvent;
  storefrontHandoverEvent: StorefrontHandoverEvent;
  orderStatusHandoverEvent: OrderStatusHandoverEvent;
  locationQueryHandoverEvent: LocationQueryHandoverEvent;
  onelivDoctorHandoverEvent: OnelivDoctorHandoverEvent;
  leadgenHandoverEvent: LeadgenHandoverEvent;
  connectlyInteractiveEvent: ConnectlyInteractiveEvent;
}
export type ResponseEventType = keyof ResponseEventMap;
/** The response event keys this version knows; others are delivered as unknown events. */
export const RESPONSE_EVENT_TYPES: readonly ResponseEventType[] = Object.freeze([
  'messageEvent',
  'recommendationEvent',
  'chatSuggestionEvent',
  'agentHandoverEvent',
  'storefrontHandoverEvent',
  'orderStatusHandoverEvent',
  'locationQueryHandoverEvent',
  'onelivDoctorHandoverEvent',
  'leadgenHandoverEvent',
  'connectlyInteractiveEvent',
]);
/** One element of `responseEvents`, as sent: an object with one event key. */
export type ResponseEvent = Partial<ResponseEventMap> & Record<string, unknown>;

/** google.rpc.Status, the error body of every endpoint. */
export interface RpcStatus {
  code?: number;
  message?: string;
  details?: Array<{ '@type'?: string; [field: string]: unknown }>;
}

// ---- request and response bodies ----

export interface InitRequestBody {
  businessId: string;
  clientKey: string;
}
export interface InitResponseBody {
  response?: { sessionId?: string };
}
export interface InvokeRequestBody {
  businessId: string;
  clientKey: string;
  sessionId: string;
  agentId?: string;
  inputEvents: InputEvent[];
}
export interface InvokeResponse {
  sessionId?: string;
  responseEvents?: ResponseEvent[];
}
/** One line of the `/invoke` NDJSON stream. */
export type StreamLine = { result: { response?: InvokeResponse }; error?: null } | { error: RpcStatus };
export interface InvokeSyncResponseBody {
  response?: InvokeResponse;
}
export interface CloseRequestBody {
  businessId: string;
  clientKey: string;
  sessionId: string;
}
export interface CloseResponseBody {
  result?: { response?: Record<string, never> };
  error?: RpcStatus | null;
}
export interface HealthRequestBody {
  businessId: string;
  clientKey: string;
}
export interface HealthResponseBody {
  response?: { healthy?: boolean };
}
