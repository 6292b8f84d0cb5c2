// The JSON of Connectly's Webhook and Message APIs as it travels (connectly-messaging.md §2–§6).
// Optional fields may also arrive as `null`; readers treat null, [] and absence alike.

export interface WebhookParty {
  /** E.164 phone number, or a BSUID for phone-less customers. */
  id: string;
  channelType?: string;
  /** WhatsApp profile name (customer) or business name. */
  name?: string | null;
  /** The BSUID, when enabled for the business. */
  userId?: string | null;
  phoneNumber?: string | null;
}

export interface WebhookAttachment {
  type: 'image' | 'video' | 'audio' | 'document' | string;
  url: string;
}

export interface WebhookReferral {
  ctwaClid?: string;
  sourceUrl?: string;
  sourceId?: string;
  sourceType?: string;
  headline?: string;
  body?: string;
  mediaType?: string;
  imageUrl?: string;
  videoUrl?: string;
  thumbnailUrl?: string;
}

export interface WebhookMessage {
  text?: string | null;
  attachments?: WebhookAttachment[] | null;
  location?: { latitude?: number; longitude?: number; name?: string; address?: string } | null;
  referral?: WebhookReferral | null;
  isButtonResponse?: boolean | null;
  isEcho?: boolean | null;
  [field: string]: unknown;
}

/** The Message API error object (error responses and failed delivery statuses). */
export interface MessageApiErrorBody {
  message?: string;
  type?: string;
  code?: string;
  userTitle?: string;
  userMessage?: string;
  cntTraceId?: string;
  details?: unknown;
}

export interface WebhookStatusUpdate {
  /** The id the send call returned. */
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'delivery_failed' | string;
  error?: MessageApiErrorBody | null;
  metadata?: { campaignName?: string } | null;
}

/** One webhook delivery body, any topic. */
export interface WebhookPayload {
  topic?: string;
  timestamp?: string;
  sender?: WebhookParty;
  recipient?: WebhookParty;
  message?: WebhookMessage | null;
  context?: { replyToId?: string } | null;
  buttonResponse?: { text?: string; payload?: string; id?: string } | null;
  callbackData?: unknown;
  statusUpdate?: WebhookStatusUpdate;
  metadata?: { campaign_name?: string } | null;
  [field: string]: unknown;
}

// ---- sending ----

export type AttachmentType = 'image' | 'video' | 'audio' | 'document';

export interface MessageAttachment {
  type: AttachmentType;
  url: string;
  caption?: string;
  filename?: string;
}
export interface MessageHeader {
  text?: string;
  attachment?: MessageAttachment;
}
export interface MessageButton {
  id: string;
  text: string;
}
export interface OutboundListMessage {
  header?: MessageHeader;
  footer?: { text: string };
  button: { id?: string; text: string };
  sections: Array<{ title?: string; rows: Array<{ id: string; text: string; description?: string }> }>;
}
export interface OutboundReplyButtonMessage {
  header?: MessageHeader;
  footer?: { text: string };
  buttons: MessageButton[];
}
export interface OutboundSingleProductMessage {
  footer?: { text: string };
  catalogId: string;
  productItem: { productRetailerId: string };
}
export interface OutboundMultiProductMessage {
  header: { text: string };
  footer?: { text: string };
  catalogId: string;
  sections: Array<{ title: string; productItems: Array<{ productRetailerId: string }> }>;
}

/** The `message` of a session send: exactly one content kind (`text` is also the body of interactive ones). */
export interface OutboundMessage {
  text?: string;
  attachments?: [MessageAttachment];
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  listMessage?: OutboundListMessage;
  replyButtonMessage?: OutboundReplyButtonMessage;
  singleProductMessage?: OutboundSingleProductMessage;
  multiProductMessage?: OutboundMultiProductMessage;
}
