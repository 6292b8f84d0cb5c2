// Typed inbound webhook events, and what the agent should hear of them (connectly-messaging.md §4, §7.3).

import { userText } from '../decoding/validate.js';
import type { InputEvent, MessageContent } from '../wire/api.js';
import type {
  MessageApiErrorBody,
  WebhookAttachment,
  WebhookMessage,
  WebhookParty,
  WebhookPayload,
  WebhookReferral,
} from '../wire/message-api.js';

interface Common {
  /** The customer (the sender of inbound messages, the recipient of echoes and statuses). */
  customer: WebhookParty;
  /** The key of the customer's conversation: the phone number, or the BSUID for phone-less customers. */
  clientKey: string;
  /** Unix seconds, as a string, as sent. */
  timestamp: string | undefined;
  /** Echoed from the outbound message this event refers to. */
  callbackData: unknown;
  /** The whole delivery, as received. */
  payload: WebhookPayload;
}

/** A message the customer wrote: text, media, location, or an ad referral. */
export interface InboundMessage extends Common {
  kind: 'message';
  text: string | undefined;
  attachments: WebhookAttachment[];
  location: WebhookMessage['location'] | undefined;
  referral: WebhookReferral | undefined;
  /** The message the customer quoted. */
  replyToId: string | undefined;
}

/** The customer tapped a reply button or picked a list row (all three documented payload shapes). */
export interface InboundButtonReply extends Common {
  kind: 'button';
  /** The button or row id the business set (the text itself in the oldest shape, which carries no id). */
  id: string;
  title: string;
  /** The id of the message that held the button, when the payload says. */
  replyToId: string | undefined;
}

/** A message the business sent, delivered back because the webhook has `echo` on. Never feed it to the agent. */
export interface InboundEcho extends Common {
  kind: 'echo';
  message: WebhookMessage;
}

/** A delivery status of a message the business sent. */
export interface InboundStatus extends Common {
  kind: 'status';
  /** The id the send call returned. */
  messageId: string;
  status: string;
  error: MessageApiErrorBody | undefined;
  campaignName: string | undefined;
}

/** A delivery this version cannot read (e.g. the `report` topic): passed on untouched. */
export interface InboundOther {
  kind: 'other';
  topic: string | undefined;
  payload: WebhookPayload;
}

export type InboundEvent = InboundMessage | InboundButtonReply | InboundEcho | InboundStatus | InboundOther;

/** How a choice the business offered should come back to the agent (see `toWhatsAppMessages`). */
export interface ReplyChoice {
  kind: 'suggestion' | 'button' | 'list';
  /** Suggestions: the full question (WhatsApp titles are truncated); buttons and rows: their text. */
  text: string;
  description?: string;
}
export type ReplyChoices = Record<string, ReplyChoice>;

function nonNull<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}

function clientKeyOf(party: WebhookParty | undefined): string {
  return nonNull(party?.phoneNumber) || party?.id || nonNull(party?.userId) || '';
}

/** Reads one parsed webhook body into a typed event. */
export function readWebhook(value: unknown): InboundEvent {
  const payload = (typeof value === 'object' && value !== null ? value : {}) as WebhookPayload;
  const timestamp = payload.timestamp;
  const callbackData = nonNull(payload.callbackData);
  if (payload.statusUpdate && typeof payload.statusUpdate === 'object') {
    const customer = payload.recipient ?? { id: '' };
    const update = payload.statusUpdate;
    return {
      kind: 'status',
      customer,
      clientKey: clientKeyOf(customer),
      timestamp,
      callbackData,
      payload,
      messageId: update.id,
      status: update.status,
      error: nonNull(update.error),
      campaignName: nonNull(payload.metadata)?.campaign_name ?? nonNull(update.metadata)?.campaignName,
    };
  }
  const message = nonNull(payload.message);
  const button = nonNull(payload.buttonResponse);
  const isMessagesTopic = payload.topic === undefined || payload.topic === 'messages';
  if (!isMessagesTopic || (!message && !button) || !payload.sender) {
    return { kind: 'other', topic: payload.topic, payload };
  }
  if (message?.isEcho === true) {
    const customer = payload.recipient ?? { id: '' };
    return { kind: 'echo', customer, clientKey: clientKeyOf(customer), timestamp, callbackData, payload, message };
  }
  const customer = payload.sender;
  const common = { customer, clientKey: clientKeyOf(customer), timestamp, callbackData, payload };
  const replyToId = nonNull(payload.context)?.replyToId;
  if (button) {
    // The 2022 shape carries the message's id in `id` and the button's in `payload`.
    const id = button.payload ?? button.id ?? button.text ?? '';
    return {
      kind: 'button',
      ...common,
      id,
      title: button.text ?? id,
      replyToId: replyToId ?? (button.payload !== undefined ? button.id : undefined),
    };
  }
  const text = nonNull(message?.text) ?? undefined;
  if (message?.isButtonResponse === true && text) {
    return { kind: 'button', ...common, id: text, title: text, replyToId };
  }
  return {
    kind: 'message',
    ...common,
    text,
    attachments: nonNull(message?.attachments) ?? [],
    location: nonNull(message?.location),
    referral: nonNull(message?.referral),
    replyToId,
  };
}

function userContent(content: MessageContent): InputEvent {
  return { messageEvent: { role: 'USER', content } };
}

// Between a message id and a choice id in the keys of `sentChoices`: neither id holds it.
const KEY_SEPARATOR = '\u0000';

/** The key of the choice `id` offered in the message whose send returned `messageId`. */
export function choiceKey(messageId: string, id: string): string {
  return `${messageId}${KEY_SEPARATOR}${id}`;
}

/** The ids a sent message offers: every string `id` in it (its buttons and list rows). */
function offeredIds(value: unknown, found: Set<string>, depth = 0): Set<string> {
  if (typeof value !== 'object' || value === null || depth > 8) return found;
  if (Array.isArray(value)) {
    for (const item of value) offeredIds(item, found, depth + 1);
    return found;
  }
  for (const [name, field] of Object.entries(value)) {
    if (name === 'id' && typeof field === 'string') found.add(field);
    else offeredIds(field, found, depth + 1);
  }
  return found;
}

/**
 * The choices of a reply once sent (what `sendReply` returns), keyed by the message that offered each
 * ({@link choiceKey}): a customer may tap a suggestion of an older message, and the tap names that
 * message (`replyToId`), so it must resolve against it, not against the newest reply whose choices
 * share the same ids (`sugg:0`…). Add them to what you keep with {@link keepChoices}.
 */
export function sentChoices(reply: {
  sent: ReadonlyArray<{ id: string; message: unknown }>;
  choices: ReplyChoices;
}): ReplyChoices {
  const keyed: ReplyChoices = {};
  for (const { id: messageId, message } of reply.sent) {
    for (const id of offeredIds(message, new Set())) {
      const choice = Object.prototype.hasOwnProperty.call(reply.choices, id) ? reply.choices[id] : undefined;
      if (choice) keyed[choiceKey(messageId, id)] = choice;
    }
  }
  return keyed;
}

/**
 * The choices kept with `offered` added as the newest: at most `max` (default 50), the oldest offers
 * forgotten first, and a choice offered again counted as new.
 */
export function keepChoices(kept: ReplyChoices, offered: ReplyChoices, max = 50): ReplyChoices {
  const merged = new Map(Object.entries(kept));
  for (const [key, choice] of Object.entries(offered)) {
    merged.delete(key);
    merged.set(key, choice);
  }
  return Object.fromEntries([...merged].slice(-Math.max(0, Math.floor(max))));
}

/**
 * The choice a tap on `id` picked, from the choices kept: the one the message `replyToId` offered when
 * choices are kept by message ({@link sentChoices}); undefined when it is not known.
 */
export function findChoice(choices: ReplyChoices, id: string, replyToId?: string): ReplyChoice | undefined {
  const own = (key: string): ReplyChoice | undefined =>
    Object.prototype.hasOwnProperty.call(choices, key) ? choices[key] : undefined;
  const keyed = Object.keys(choices).filter((key) => key.includes(KEY_SEPARATOR));
  if (replyToId !== undefined && replyToId !== '') {
    const named = own(choiceKey(replyToId, id));
    // Choices kept by message, but none for the message the tap names: another reply's must not answer.
    if (named || keyed.length > 0) return named;
  }
  // Choices kept by id alone (a reply's own `choices`): the reply they came from.
  const plain = own(id);
  if (plain) return plain;
  // A tap that names no message (the oldest payload shape): the newest offer of that id.
  const newest = keyed.filter((key) => key.endsWith(`${KEY_SEPARATOR}${id}`)).at(-1);
  return newest === undefined ? undefined : own(newest);
}

/**
 * What the agent should hear of a tapped button or list row `id` (titled `title` on WhatsApp, which cuts
 * titles short), given the choices the business offered: a suggestion's full question, a list row with its
 * whole text, or the button itself. `replyToId`, the message the tap names, picks that message's choices
 * when they were kept by message ({@link sentChoices}).
 */
export function choiceInputEvents(
  id: string,
  title: string,
  choices: ReplyChoices = {},
  replyToId?: string,
): InputEvent[] {
  const choice = findChoice(choices, id, replyToId);
  if (choice?.kind === 'suggestion') return [userText(choice.text)];
  if (choice?.kind === 'list') {
    return [
      {
        listReplyEvent: {
          id,
          title: choice.text,
          ...(choice.description ? { description: choice.description } : {}),
        },
      },
    ];
  }
  return [{ buttonResponseEvent: { id, title } }];
}

/**
 * What the agent should receive for an inbound event (connectly-messaging.md §7.3). Echoes, statuses
 * and unreadable deliveries give `[]`: they are for the integrator, not the agent. Pass the choices
 * kept of the replies sent ({@link sentChoices}, or the last reply's `choices`) so that taps on
 * suggestions come back as the full question and list picks as list replies.
 */
export function toInputEvents(event: InboundEvent, choices: ReplyChoices = {}): InputEvent[] {
  if (event.kind === 'button') return choiceInputEvents(event.id, event.title, choices, event.replyToId);
  if (event.kind !== 'message') return [];
  const events: InputEvent[] = [];
  for (const attachment of event.attachments) {
    if (attachment.type === 'image') events.push(userContent({ imageContent: { url: attachment.url } }));
    else if (attachment.type === 'audio') events.push(userContent({ audioContent: { url: attachment.url } }));
    // The agent has no video or document content: tell it in words, with the link.
    else events.push(userText(`[${attachment.type}: ${attachment.url}]`));
  }
  const location = event.location;
  if (location && typeof location.latitude === 'number' && typeof location.longitude === 'number') {
    const { latitude, longitude, name, address } = location;
    events.push(
      userContent({
        locationContent: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) },
      }),
    );
  }
  if (event.text) events.push(userText(event.text));
  return events;
}
