// The agent's reply as WhatsApp messages for the Message API (connectly-messaging.md §7.1, §7.2):
// text, media, location, suggestions, lists, reply buttons, products, in the order the agent sent them.
// Nothing is dropped silently: what has no WhatsApp form is returned in `unmapped` with the reason.

import { type AgentEvent, type HandoverAgentEvent, isEventType, isHandoverEvent } from '../events.js';
import type { AgentReply } from '../reply.js';
import type {
  InteractiveHeader,
  ListMessage,
  MessageEvent,
  Product,
  ReplyButtonMessage,
  SingleProductMessage,
} from '../wire.js';
import type { ReplyChoices } from './inbound.js';
import type { AttachmentType, MessageAttachment, MessageHeader, OutboundMessage } from './wire.js';

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
}

export interface UnmappedEvent {
  event: AgentEvent;
  /** Why it could not be sent (in full or in part) as a WhatsApp message. */
  reason: string;
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
}

const LIMITS = { text: 4096, body: 1024, buttonTitle: 20, rowTitle: 24, rowDescription: 72, header: 60, footer: 60 };
const EXTENSIONS: Array<[RegExp, AttachmentType]> = [
  [/\.(jpe?g|png|webp|gif)$/i, 'image'],
  [/\.(mp4|3gpp?)$/i, 'video'],
  [/\.(aac|mp3|m4a|amr|ogg|opus)$/i, 'audio'],
  [/\.[a-z0-9]{2,5}$/i, 'document'],
];

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Splits text longer than WhatsApp's 4096 characters at a line or word boundary. */
function splitText(text: string): string[] {
  const parts: string[] = [];
  let rest = text;
  while ([...rest].length > LIMITS.text) {
    const head = [...rest].slice(0, LIMITS.text).join('');
    const at = Math.max(head.lastIndexOf('\n'), head.lastIndexOf(' '));
    const end = at > LIMITS.text / 2 ? at : head.length;
    parts.push(rest.slice(0, end).trimEnd());
    rest = rest.slice(end).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

function attachmentType(type: string | undefined, url: string): AttachmentType | undefined {
  const named = type?.replace(/^ATTACHMENT_TYPE_/, '').toLowerCase();
  if (named === 'image' || named === 'video' || named === 'audio' || named === 'document') return named;
  const path = url.split(/[?#]/)[0] ?? '';
  return EXTENSIONS.find(([pattern]) => pattern.test(path))?.[1];
}

function price(product: Product): string {
  if (typeof product.price !== 'number') return '';
  return ` — ${product.price.toFixed(2)}${product.currency ? ` ${product.currency}` : ''}`;
}

function productLine(product: Product): string {
  return `• ${product.title ?? product.productId ?? 'Product'}${price(product)}${product.url ? `\n${product.url}` : ''}`;
}

class Mapper {
  readonly out: WhatsAppReply = { messages: [], choices: {}, handover: false, handovers: [], unmapped: [] };
  // The plain text message mapped from the event just before, which an interactive may take as its body.
  private bodyCandidate: OutboundMessage | undefined;

  constructor(private readonly options: WhatsAppMappingOptions) {}

  add(event: AgentEvent): void {
    const candidate = this.bodyCandidate;
    this.bodyCandidate = undefined;
    if (isEventType(event, 'messageEvent')) return this.message(event, event.messageEvent);
    if (isEventType(event, 'chatSuggestionEvent')) {
      return this.suggestions(event, event.chatSuggestionEvent.suggestedQuestions ?? [], candidate);
    }
    if (isEventType(event, 'connectlyInteractiveEvent')) {
      const interactive = event.connectlyInteractiveEvent.interactive ?? {};
      if (interactive.listMessage) return this.list(event, interactive.listMessage, candidate);
      if (interactive.replyButtonMessage) return this.buttons(event, interactive.replyButtonMessage, candidate);
      if (interactive.singleProductMessage)
        return this.singleProduct(event, interactive.singleProductMessage, candidate);
      return this.skip(
        event,
        `interactive kind ${Object.keys(interactive).join(', ') || '(empty)'} has no WhatsApp mapping`,
      );
    }
    if (isEventType(event, 'recommendationEvent'))
      return this.products(event, event.recommendationEvent.products ?? [], candidate);
    if (isHandoverEvent(event)) {
      this.out.handovers.push(event as HandoverAgentEvent);
      const payload = (event as Record<string, unknown>)[event.type] as { triggerHandover?: unknown } | undefined;
      this.out.handover ||= payload?.triggerHandover === true;
      return;
    }
    this.skip(event, `event kind ${event.type} is not known to this version`);
  }

  private skip(event: AgentEvent, reason: string): void {
    this.out.unmapped.push({ event, reason });
  }

  private push(message: OutboundMessage): void {
    this.out.messages.push(message);
  }

  /** The body for an interactive: the directly preceding agent text (taken out of the queue), or the default. */
  private body(candidate: OutboundMessage | undefined): string {
    if (candidate && this.out.messages[this.out.messages.length - 1] === candidate && candidate.text) {
      if ([...candidate.text].length <= LIMITS.body) {
        this.out.messages.pop();
        return candidate.text;
      }
    }
    return this.options.defaultBody ?? 'Choose an option';
  }

  private message(event: AgentEvent, message: MessageEvent): void {
    if (message.role === 'USER') return this.skip(event, 'a customer message repeated by the agent is not sent back');
    const content = message.content ?? {};
    const text = content.textContent?.text;
    if (text !== undefined && text.trim() !== '') {
      const parts = splitText(text);
      for (const part of parts) this.push({ text: part });
      if (parts.length === 1) this.bodyCandidate = this.out.messages[this.out.messages.length - 1];
    }
    const image = content.imageContent;
    if (image?.url) {
      this.push({
        attachments: [{ type: 'image', url: image.url, ...(image.caption ? { caption: image.caption } : {}) }],
      });
    }
    if (content.audioContent?.url) this.push({ attachments: [{ type: 'audio', url: content.audioContent.url }] });
    const location = content.locationContent;
    if (location) {
      const latitude = Number(location.latitude);
      const longitude = Number(location.longitude);
      if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
        this.push({
          location: {
            latitude,
            longitude,
            ...(location.name ? { name: location.name } : {}),
            ...(location.address ? { address: location.address } : {}),
          },
        });
      } else this.skip(event, 'a location without numeric latitude and longitude');
    }
    const sent =
      (text?.trim() ? 1 : 0) + (image?.url ? 1 : 0) + (content.audioContent?.url ? 1 : 0) + (location ? 1 : 0);
    if (sent === 0) this.skip(event, 'a message event with no text, image, audio or location to send');
  }

  private header(event: AgentEvent, header: InteractiveHeader | undefined): MessageHeader | undefined {
    if (!header) return undefined;
    const out: MessageHeader = {};
    if (header.text) out.text = cut(header.text, LIMITS.header);
    const asset = header.attachment?.asset;
    if (header.attachment) {
      const url = asset?.url ?? '';
      const type = url ? attachmentType(header.attachment.type, url) : undefined;
      if (url && type) {
        const attachment: MessageAttachment = { type, url };
        if (asset?.caption) attachment.caption = asset.caption;
        if (asset?.filename && type === 'document') attachment.filename = asset.filename;
        out.attachment = attachment;
      } else {
        this.skip(
          event,
          url
            ? `header media of unknown type at ${url} was left out`
            : 'header media without a URL was left out (resolve its asset id first)',
        );
      }
    }
    return out.text || out.attachment ? out : undefined;
  }

  private footer(footer: { text?: string } | undefined): { footer?: { text: string } } {
    return footer?.text ? { footer: { text: cut(footer.text, LIMITS.footer) } } : {};
  }

  private suggestions(event: AgentEvent, questions: string[], candidate: OutboundMessage | undefined): void {
    const usable = questions.filter((q) => q.trim() !== '');
    if (usable.length === 0) return this.skip(event, 'a suggestion event with no questions');
    const shown = usable.slice(0, 10);
    if (usable.length > 10) this.skip(event, `only the first 10 of ${usable.length} suggestions fit a WhatsApp list`);
    shown.forEach((question, i) => (this.out.choices[`sugg:${i}`] = { kind: 'suggestion', text: question }));
    const text = this.body(candidate);
    if (shown.length <= 3) {
      this.push({
        text,
        replyButtonMessage: { buttons: shown.map((q, i) => ({ id: `sugg:${i}`, text: cut(q, LIMITS.buttonTitle) })) },
      });
      return;
    }
    this.push({
      text,
      listMessage: {
        button: { text: this.options.listButtonText ?? 'Options' },
        sections: [
          {
            rows: shown.map((q, i) => ({
              id: `sugg:${i}`,
              text: cut(q, LIMITS.rowTitle),
              ...([...q].length > LIMITS.rowTitle ? { description: cut(q, LIMITS.rowDescription) } : {}),
            })),
          },
        ],
      },
    });
  }

  private list(event: AgentEvent, list: ListMessage, candidate: OutboundMessage | undefined): void {
    const sections = (list.sections ?? [])
      .map((section) => ({
        ...(section.title ? { title: cut(section.title, LIMITS.rowTitle) } : {}),
        rows: (section.rows ?? [])
          .filter((row) => row.id || row.text)
          .map((row) => {
            const id = row.id ?? row.text ?? '';
            const text = row.text ?? row.id ?? '';
            this.out.choices[id] = { kind: 'list', text, ...(row.description ? { description: row.description } : {}) };
            return {
              id,
              text: cut(text, LIMITS.rowTitle),
              ...(row.description ? { description: cut(row.description, LIMITS.rowDescription) } : {}),
            };
          }),
      }))
      .filter((section) => section.rows.length > 0);
    if (sections.length === 0) return this.skip(event, 'a list message without rows');
    const header = this.header(event, list.header);
    this.push({
      text: this.body(candidate),
      listMessage: {
        ...(header ? { header } : {}),
        ...this.footer(list.footer),
        button: {
          ...(list.button?.id ? { id: list.button.id } : {}),
          text: cut(
            list.button?.text ?? list.buttonText ?? this.options.listButtonText ?? 'Options',
            LIMITS.buttonTitle,
          ),
        },
        sections,
      },
    });
  }

  private buttons(event: AgentEvent, message: ReplyButtonMessage, candidate: OutboundMessage | undefined): void {
    const buttons = (message.buttons ?? []).filter((b) => b.id || b.text);
    if (buttons.length === 0) return this.skip(event, 'a reply-button message without buttons');
    if (buttons.length > 3) this.skip(event, `only the first 3 of ${buttons.length} reply buttons fit WhatsApp`);
    const header = this.header(event, message.header);
    this.push({
      text: this.body(candidate),
      replyButtonMessage: {
        ...(header ? { header } : {}),
        ...this.footer(message.footer),
        buttons: buttons.slice(0, 3).map((b) => {
          const id = b.id ?? b.text ?? '';
          this.out.choices[id] = { kind: 'button', text: b.text ?? id };
          return { id, text: cut(b.text ?? id, LIMITS.buttonTitle) };
        }),
      },
    });
  }

  private singleProduct(
    event: AgentEvent,
    product: SingleProductMessage,
    candidate: OutboundMessage | undefined,
  ): void {
    const item = product.productItem as { productRetailerId?: unknown } | undefined;
    const retailerId = item?.productRetailerId ?? product.productRetailerId;
    if (this.options.catalogId && typeof retailerId === 'string') {
      const body = this.body(candidate);
      this.push({
        ...(body !== (this.options.defaultBody ?? 'Choose an option') ? { text: body } : {}),
        singleProductMessage: {
          ...this.footer(product.footer),
          catalogId: this.options.catalogId,
          productItem: { productRetailerId: retailerId },
        },
      });
      return;
    }
    // Without a catalog, the product's actions still reach the customer as reply buttons.
    const buttons = [product.actionButton, ...(product.buttons ?? [])].filter(
      (b): b is { id?: string; text?: string } => !!b && !!(b.id || b.text),
    );
    if (buttons.length === 0)
      return this.skip(event, 'a single-product message needs the catalogId option (or buttons) to be sent');
    this.buttons(event, { buttons, ...(product.footer ? { footer: product.footer } : {}) }, candidate);
  }

  private products(event: AgentEvent, products: Product[], candidate: OutboundMessage | undefined): void {
    if (products.length === 0) return this.skip(event, 'a recommendation with no products');
    const catalogId = this.options.catalogId;
    if (catalogId && products.length <= 30 && products.every((p) => p.productId)) {
      this.push({
        text: this.body(candidate),
        multiProductMessage: {
          header: { text: 'Recommended for you' },
          catalogId,
          sections: [
            { title: 'Products', productItems: products.map((p) => ({ productRetailerId: p.productId as string })) },
          ],
        },
      });
      return;
    }
    if (this.options.products === 'images') {
      for (const product of products) {
        if (product.imageUrl)
          this.push({ attachments: [{ type: 'image', url: product.imageUrl, caption: productLine(product) }] });
        else this.push({ text: productLine(product) });
      }
      return;
    }
    for (const part of splitText(products.map(productLine).join('\n\n'))) this.push({ text: part });
  }
}

/**
 * Maps the agent's reply (its events, or an `AgentReply`) to Message API messages, in order.
 * A text directly followed by an interactive becomes that interactive's body.
 */
export function toWhatsAppMessages(
  reply: readonly AgentEvent[] | AgentReply,
  options: WhatsAppMappingOptions = {},
): WhatsAppReply {
  const events = Array.isArray(reply) ? (reply as readonly AgentEvent[]) : (reply as AgentReply).events;
  const mapper = new Mapper(options);
  for (const event of events) mapper.add(event);
  return mapper.out;
}
