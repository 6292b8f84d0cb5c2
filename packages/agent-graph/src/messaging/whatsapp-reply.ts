// The WhatsApp reply being built from the agent's events: what it holds (messages, choices, handovers,
// what was left out and what was changed), WhatsApp's limits, reading a payload whose shape may be wrong,
// and sending within the reply's message budget. outbound.ts maps each kind of event onto it.

import { ConnectlyValidationError } from '../errors/errors.js';
import type { AgentEvent, HandoverAgentEvent } from '../wire/events.js';
import type { AttachmentType, OutboundMessage } from '../wire/message-api.js';
import type { ReplyChoices } from './inbound.js';
import { exceeds, fit, splitText } from './text-limits.js';

export interface WhatsAppMappingOptions {
  /** Body of an interactive message when no agent text directly precedes it. Default `'Choose an option'`. */
  defaultBody?: string;
  /** Label of the button that opens a list. Default `'Options'`. */
  listButtonText?: string;
  /** Products as one text message per recommendation (default), or one image with a caption per product. */
  products?: 'text' | 'images';
  /**
   * Your WhatsApp catalog id: recommendations become a `multiProductMessage` (products' `productId`
   * must be the catalog's retailer ids), and single-product messages a `singleProductMessage`.
   */
  catalogId?: string;
  /**
   * The most WhatsApp messages one reply becomes (a long text is split every 4096 characters). What does
   * not fit is reported in `unmapped`. Default 20.
   */
  maxMessages?: number;
}

export interface UnmappedEvent {
  event: AgentEvent;
  /** Why it could not be sent (in full or in part) as a WhatsApp message. */
  reason: string;
}

export interface AdjustedEvent {
  event: AgentEvent;
  /** What was changed to fit WhatsApp's limits, and how it was sent instead. */
  change: string;
}

export interface WhatsAppReply {
  /** The messages to send, in order, one request each. */
  messages: OutboundMessage[];
  /** The buttons, rows and suggestions offered, by id: keep them for `toInputEvents` on the customer's tap. */
  choices: ReplyChoices;
  /** True when a handover event asks for a human now. */
  handover: boolean;
  /** Every handover event of the reply; none is sent to the customer. */
  handovers: HandoverAgentEvent[];
  /** What has no WhatsApp form, with the reason: show it, log it, or handle it yourself. */
  unmapped: UnmappedEvent[];
  /**
   * What was sent, but not as the agent shaped it, to fit WhatsApp's limits (a list of 12 rows sent as
   * text, a caption too long for an image, a header cut short, two buttons titled alike). Titles and
   * descriptions of buttons and rows cut to their length are not listed: the whole text stays in `choices`.
   */
  adjusted: AdjustedEvent[];
}

export const DEFAULT_MAX_MESSAGES = 20;

// WhatsApp's limits (connectly-messaging.md §5.1, from Meta's platform documentation; Connectly's pages
// give none). [INFERRED] the caption limit and the row id limit are Meta's, not in that list.
export const LIMITS = {
  text: 4096,
  body: 1024,
  caption: 1024,
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
  rows: 10,
  sections: 10,
  rowTitle: 24,
  rowId: 200,
  rowDescription: 72,
  sectionTitle: 24,
  listButton: 20,
  header: 60,
  footer: 60,
  suggestions: 10,
  products: 30,
};
const EXTENSIONS: Array<[RegExp, AttachmentType]> = [
  [/\.(jpe?g|png|webp|gif)$/i, 'image'],
  [/\.(mp4|3gpp?)$/i, 'video'],
  [/\.(aac|mp3|m4a|amr|ogg|opus)$/i, 'audio'],
  [/\.[a-z0-9]{2,5}$/i, 'document'],
];

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

export function filled(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

export function attachmentType(type: string | undefined, url: string): AttachmentType | undefined {
  const named = type?.replace(/^ATTACHMENT_TYPE_/, '').toLowerCase();
  if (named === 'image' || named === 'video' || named === 'audio' || named === 'document') return named;
  const path = url.split(/[?#]/)[0] ?? '';
  return EXTENSIONS.find(([pattern]) => pattern.test(path))?.[1];
}

/** A title of at most `max` characters that no earlier one in `taken` shares (WhatsApp refuses duplicates). */
export function uniqueTitle(text: string, max: number, taken: Set<string>): string {
  let title = fit(text, max);
  // [INFERRED] compared as WhatsApp users read them: case and surrounding spaces aside.
  for (let n = 2; taken.has(title.trim().toLowerCase()); n += 1) title = `${fit(text, max - `${n}`.length - 1)} ${n}`;
  taken.add(title.trim().toLowerCase());
  return title;
}

export interface Option {
  id: string;
  title: string;
  description?: string;
}

/** The reply so far, and the means to add to it; each event kind is mapped by the subclass. */
export abstract class ReplyBuilder {
  readonly out: WhatsAppReply = {
    messages: [],
    choices: {},
    handover: false,
    handovers: [],
    unmapped: [],
    adjusted: [],
  };
  // The plain text message mapped from the event just before, which an interactive may take as its body.
  protected bodyCandidate: OutboundMessage | undefined;
  protected readonly maxMessages: number;
  protected readonly defaultBody: string;
  protected readonly listButton: string;
  // How many reports there were before the current event: one with nothing to send but nothing odd either says so.
  protected reportedBefore = 0;
  // The event that went out last, to tell "not sent" from "not all sent" once the reply is full.
  private lastSent: AgentEvent | undefined;

  constructor(protected readonly options: WhatsAppMappingOptions) {
    const max = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
    if (!Number.isInteger(max) || max < 1) {
      throw new ConnectlyValidationError(
        'maxMessages',
        `maxMessages must be a whole number of messages, 1 or more, got ${String(max)}`,
      );
    }
    this.maxMessages = max;
    this.defaultBody = fit(filled(options.defaultBody) ?? 'Choose an option', LIMITS.body);
    this.listButton = fit(filled(options.listButtonText) ?? 'Options', LIMITS.listButton);
  }

  // ---- reporting, and reading a payload whose shape may be wrong ----

  protected skip(event: AgentEvent, reason: string): void {
    this.out.unmapped.push({ event, reason });
  }

  protected adjust(event: AgentEvent, change: string): void {
    this.out.adjusted.push({ event, change });
  }

  /** An object field: undefined when absent; reported and undefined when it is something else. */
  protected object(event: AgentEvent, value: unknown, where: string, item = false): Json | undefined {
    if (value === undefined || (value === null && !item)) return undefined;
    if (isObject(value)) return value;
    this.skip(event, `${where} is ${kindOf(value)}, not an object: left out`);
    return undefined;
  }

  protected string(event: AgentEvent, value: unknown, where: string, item = false): string | undefined {
    if (value === undefined || (value === null && !item)) return undefined;
    if (typeof value === 'string') return value;
    this.skip(event, `${where} is ${kindOf(value)}, not text: left out`);
    return undefined;
  }

  protected list(event: AgentEvent, value: unknown, where: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.skip(event, `${where} is ${kindOf(value)}, not a list: left out`);
    return [];
  }

  /** A header, footer or section title cut to `max`, the cut reported. */
  protected short(event: AgentEvent, text: string, max: number, what: string): string {
    const cut = fit(text, max);
    if (cut !== text) this.adjust(event, `the ${what} was cut to WhatsApp's ${max} characters`);
    return cut;
  }

  // ---- sending, within the reply's message budget ----

  protected push(event: AgentEvent, message: OutboundMessage): boolean {
    if (this.out.messages.length >= this.maxMessages) {
      const reason =
        `a reply is at most ${this.maxMessages} WhatsApp messages (maxMessages): ` +
        (this.lastSent === event ? 'the rest of this event was not sent' : 'not sent');
      const previous = this.out.unmapped[this.out.unmapped.length - 1];
      if (previous?.event !== event || previous.reason !== reason) this.skip(event, reason);
      return false;
    }
    this.out.messages.push(message);
    this.lastSent = event;
    return true;
  }

  /** Sends text in parts of 4096 characters; true when it went out whole. */
  protected pushText(event: AgentEvent, text: string): { sent: number; whole: boolean } {
    let sent = 0;
    for (const part of splitText(text, LIMITS.text)) {
      if (!this.push(event, { text: part })) return { sent, whole: false };
      sent += 1;
    }
    return { sent, whole: true };
  }

  /** One attachment; a caption longer than WhatsApp takes follows it as text. */
  protected pushMedia(event: AgentEvent, type: AttachmentType, url: string, caption?: string): void {
    if (caption === undefined || caption.trim() === '' || !exceeds(caption, LIMITS.caption)) {
      this.push(event, { attachments: [{ type, url, ...(caption?.trim() ? { caption } : {}) }] });
      return;
    }
    if (!this.push(event, { attachments: [{ type, url }] })) return;
    this.adjust(
      event,
      `a caption longer than WhatsApp's ${LIMITS.caption} characters was sent as text after the ${type}`,
    );
    this.pushText(event, caption);
  }

  /** The body for an interactive: the directly preceding agent text (taken out of the queue), or the default. */
  protected body(candidate: OutboundMessage | undefined): { text: string; fromAgent: boolean } {
    if (candidate && this.out.messages[this.out.messages.length - 1] === candidate && candidate.text) {
      if (!exceeds(candidate.text, LIMITS.body)) {
        this.out.messages.pop();
        return { text: candidate.text, fromAgent: true };
      }
    }
    return { text: this.defaultBody, fromAgent: false };
  }

  /** Sends an interactive; its choices count only once it is queued. */
  protected pushInteractive(
    event: AgentEvent,
    candidate: OutboundMessage | undefined,
    content: Omit<OutboundMessage, 'text'>,
    choices: ReplyChoices,
    bodyRequired = true,
  ): void {
    const body = this.body(candidate);
    const text = bodyRequired || body.fromAgent ? { text: body.text } : {};
    if (this.push(event, { ...text, ...content })) Object.assign(this.out.choices, choices);
  }
}
