// The agent's reply as WhatsApp messages for the Message API (connectly-messaging.md §7.1, §7.2):
// text, media, location, suggestions, lists, reply buttons, products, in the order the agent sent them.
// Nothing is dropped silently: what has no WhatsApp form (or arrived in a shape that cannot be read) is
// returned in `unmapped` with the reason, and what was changed to fit WhatsApp's limits in `adjusted`.
// One class maps every event kind, one method each, on the reply it builds (whatsapp-reply.ts): the kinds
// share that reply's budget and the body an interactive takes from the text before it, so they stay
// together here, at about 430 lines.

import { type AgentEvent, type HandoverAgentEvent, isEventType, isHandoverEvent } from '../wire/events.js';
import type { AgentReply } from '../agent/reply.js';
import type { ReplyChoices } from './inbound.js';
import { exceeds, fit } from './text-limits.js';
import type {
  MessageAttachment,
  MessageButton,
  MessageHeader,
  OutboundListMessage,
  OutboundMessage,
} from '../wire/message-api.js';
import {
  type Json,
  LIMITS,
  type Option,
  ReplyBuilder,
  type WhatsAppMappingOptions,
  type WhatsAppReply,
  attachmentType,
  filled,
  isObject,
  kindOf,
  uniqueTitle,
} from './whatsapp-reply.js';

export {
  DEFAULT_MAX_MESSAGES,
  type AdjustedEvent,
  type UnmappedEvent,
  type WhatsAppMappingOptions,
  type WhatsAppReply,
} from './whatsapp-reply.js';

class Mapper extends ReplyBuilder {
  add(event: AgentEvent): void {
    this.reportedBefore = this.out.unmapped.length;
    const candidate = this.bodyCandidate;
    this.bodyCandidate = undefined;
    if (!isObject(event) || typeof event.type !== 'string') {
      return this.skip(event, `an event must be an object with a type, got ${kindOf(event)}`);
    }
    if (isEventType(event, 'messageEvent')) return this.message(event, event.messageEvent);
    if (isEventType(event, 'chatSuggestionEvent')) {
      const payload = this.object(event, event.chatSuggestionEvent, 'chatSuggestionEvent');
      return this.suggestions(event, this.list(event, payload?.suggestedQuestions, 'suggestedQuestions'), candidate);
    }
    if (isEventType(event, 'connectlyInteractiveEvent')) {
      const payload = this.object(event, event.connectlyInteractiveEvent, 'connectlyInteractiveEvent');
      const interactive = this.object(event, payload?.interactive, 'interactive') ?? {};
      for (const kind of ['listMessage', 'replyButtonMessage', 'singleProductMessage'] as const) {
        if (interactive[kind] === undefined || interactive[kind] === null) continue;
        const value = this.object(event, interactive[kind], kind);
        if (!value) return;
        if (kind === 'listMessage') return this.listMessage(event, value, candidate);
        if (kind === 'replyButtonMessage') return this.buttonMessage(event, value, candidate);
        return this.singleProduct(event, value, candidate);
      }
      return this.skip(
        event,
        `interactive kind ${Object.keys(interactive).slice(0, 5).join(', ') || '(empty)'} has no WhatsApp mapping`,
      );
    }
    if (isEventType(event, 'recommendationEvent')) {
      const payload = this.object(event, event.recommendationEvent, 'recommendationEvent');
      return this.products(event, this.list(event, payload?.products, 'products'), candidate);
    }
    if (isHandoverEvent(event)) {
      this.out.handovers.push(event as HandoverAgentEvent);
      const payload: unknown = (event as Json)[event.type];
      this.out.handover ||= isObject(payload) && payload.triggerHandover === true;
      return;
    }
    this.skip(event, `event kind ${event.type} is not known to this version`);
  }

  // ---- the event kinds ----

  private message(event: AgentEvent, payload: unknown): void {
    const message = this.object(event, payload, 'messageEvent');
    if (message?.role === 'USER') return this.skip(event, 'a customer message repeated by the agent is not sent back');
    const content = this.object(event, message?.content, 'messageEvent content') ?? {};
    let sent = 0;
    const textContent = this.object(event, content.textContent, 'textContent');
    const text = this.string(event, textContent?.text, 'textContent.text');
    if (text !== undefined && text.trim() !== '') {
      const parts = this.pushText(event, text);
      sent += parts.sent;
      if (parts.sent === 1 && parts.whole) this.bodyCandidate = this.out.messages[this.out.messages.length - 1];
    }
    const image = this.object(event, content.imageContent, 'imageContent');
    const imageUrl = filled(this.string(event, image?.url, 'imageContent.url'));
    if (imageUrl) {
      this.pushMedia(event, 'image', imageUrl, this.string(event, image?.caption, 'imageContent.caption'));
      sent += 1;
    }
    const audio = this.object(event, content.audioContent, 'audioContent');
    const audioUrl = filled(this.string(event, audio?.url, 'audioContent.url'));
    if (audioUrl) {
      this.push(event, { attachments: [{ type: 'audio', url: audioUrl }] });
      sent += 1;
    }
    const location = this.object(event, content.locationContent, 'locationContent');
    if (location) {
      const latitude = Number(location.latitude);
      const longitude = Number(location.longitude);
      const name = filled(this.string(event, location.name, 'locationContent.name'));
      const address = filled(this.string(event, location.address, 'locationContent.address'));
      if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
        this.push(event, {
          location: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) },
        });
        sent += 1;
      } else this.skip(event, 'a location without numeric latitude and longitude');
    }
    if (sent === 0 && this.out.unmapped.length === this.reportedBefore) {
      this.skip(event, 'a message event with no text, image, audio or location to send');
    }
  }

  private header(event: AgentEvent, value: unknown): MessageHeader | undefined {
    const header = this.object(event, value, 'header');
    if (!header) return undefined;
    const out: MessageHeader = {};
    const text = filled(this.string(event, header.text, 'header.text'));
    if (text) out.text = this.short(event, text, LIMITS.header, 'header text');
    const attachment = this.object(event, header.attachment, 'header.attachment');
    if (attachment) {
      const asset = this.object(event, attachment.asset, 'header.attachment.asset');
      const url = filled(this.string(event, asset?.url, 'header.attachment.asset.url')) ?? '';
      const kind = this.string(event, attachment.type, 'header.attachment.type');
      const type = url ? attachmentType(kind, url) : undefined;
      if (url && type) {
        const media: MessageAttachment = { type, url };
        const caption = filled(this.string(event, asset?.caption, 'header.attachment.asset.caption'));
        const filename = filled(this.string(event, asset?.filename, 'header.attachment.asset.filename'));
        if (caption) media.caption = caption;
        if (filename && type === 'document') media.filename = filename;
        out.attachment = media;
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

  private footer(event: AgentEvent, value: unknown): { footer?: { text: string } } {
    const footer = this.object(event, value, 'footer');
    const text = filled(this.string(event, footer?.text, 'footer.text'));
    return text ? { footer: { text: this.short(event, text, LIMITS.footer, 'footer') } } : {};
  }

  /**
   * The agent's buttons or rows with an id and a title each: an id WhatsApp would refuse, or one seen
   * before in the message, is left out (reported); a missing title becomes the id.
   */
  private readOptions(event: AgentEvent, items: unknown[], where: string, maxId: number): Option[] {
    const options: Option[] = [];
    const ids = new Set<string>();
    items.forEach((item, i) => {
      const value = this.object(event, item, `${where}[${i}]`, true);
      if (!value) return;
      const rawId = filled(this.string(event, value.id, `${where}[${i}].id`));
      const rawTitle = filled(this.string(event, value.text, `${where}[${i}].text`));
      const description = filled(this.string(event, value.description, `${where}[${i}].description`));
      const id = rawId ?? rawTitle;
      if (id === undefined) return;
      if (exceeds(id, maxId)) {
        return this.skip(event, `${where}[${i}] was left out: its id is longer than WhatsApp's ${maxId} characters`);
      }
      if (ids.has(id)) return this.skip(event, `${where}[${i}] was left out: its id "${id}" is used twice`);
      ids.add(id);
      if (rawTitle === undefined) this.adjust(event, `${where}[${i}] has no title: its id "${id}" is shown`);
      options.push({ id, title: rawTitle ?? id, ...(description ? { description } : {}) });
    });
    return options;
  }

  /** Buttons with unique titles of at most 20 characters, the renames reported. */
  private buttons(event: AgentEvent, options: Option[]): MessageButton[] {
    const taken = new Set<string>();
    return options.map((option) => {
      const text = uniqueTitle(option.title, LIMITS.buttonTitle, taken);
      if (fit(option.title, LIMITS.buttonTitle) !== text) {
        this.adjust(
          event,
          `two buttons would read "${fit(option.title, LIMITS.buttonTitle)}": one is titled "${text}"`,
        );
      }
      return { id: option.id, text };
    });
  }

  private suggestions(event: AgentEvent, questions: unknown[], candidate: OutboundMessage | undefined): void {
    const usable: string[] = [];
    questions.forEach((question, i) => {
      const text = this.string(event, question, `suggestedQuestions[${i}]`, true);
      if (text !== undefined && text.trim() !== '') usable.push(text);
    });
    if (usable.length === 0) {
      if (this.out.unmapped.length === this.reportedBefore) this.skip(event, 'a suggestion event with no questions');
      return;
    }
    const shown = usable.slice(0, LIMITS.suggestions);
    if (usable.length > LIMITS.suggestions) {
      this.skip(event, `only the first ${LIMITS.suggestions} of ${usable.length} suggestions fit a WhatsApp list`);
    }
    const choices: ReplyChoices = {};
    const options = shown.map((question, i) => {
      choices[`sugg:${i}`] = { kind: 'suggestion', text: question };
      return { id: `sugg:${i}`, title: question };
    });
    if (shown.length <= LIMITS.buttons) {
      this.pushInteractive(
        event,
        candidate,
        { replyButtonMessage: { buttons: this.buttons(event, options) } },
        choices,
      );
      return;
    }
    const listMessage: OutboundListMessage = {
      button: { text: this.listButton },
      sections: [
        {
          rows: options.map(({ id, title }) => ({
            id,
            text: fit(title, LIMITS.rowTitle),
            ...(exceeds(title, LIMITS.rowTitle) ? { description: fit(title, LIMITS.rowDescription) } : {}),
          })),
        },
      ],
    };
    this.pushInteractive(event, candidate, { listMessage }, choices);
  }

  private listMessage(event: AgentEvent, list: Json, candidate: OutboundMessage | undefined): void {
    const sections = this.list(event, list.sections, 'sections').flatMap((raw, s) => {
      const section = this.object(event, raw, `sections[${s}]`, true);
      if (!section) return [];
      const title = filled(this.string(event, section.title, `sections[${s}].title`));
      const rows = this.readOptions(
        event,
        this.list(event, section.rows, `sections[${s}].rows`),
        `sections[${s}].rows`,
        LIMITS.rowId,
      );
      return rows.length > 0 ? [{ title, rows }] : [];
    });
    // Row ids must be unique across the whole list, as the choices are.
    const seen = new Set<string>();
    for (const section of sections) {
      section.rows = section.rows.filter((row) => {
        if (!seen.has(row.id)) return seen.add(row.id);
        this.skip(event, `the list row "${row.id}" was left out: its id is used twice`);
        return false;
      });
    }
    const kept = sections.filter((section) => section.rows.length > 0);
    if (kept.length === 0) return this.skip(event, 'a list message without rows');
    const rows = kept.reduce((sum, section) => sum + section.rows.length, 0);
    if (rows > LIMITS.rows || kept.length > LIMITS.sections) return this.listAsText(event, list, kept, rows);
    const header = this.header(event, list.header);
    const footer = this.footer(event, list.footer);
    const button = this.object(event, list.button, 'button');
    const label =
      filled(this.string(event, button?.text, 'button.text')) ??
      filled(this.string(event, list.buttonText, 'buttonText'));
    let buttonId = filled(this.string(event, button?.id, 'button.id'));
    if (buttonId && exceeds(buttonId, LIMITS.buttonId)) {
      this.adjust(event, `the list button's id is longer than WhatsApp's ${LIMITS.buttonId} characters: left out`);
      buttonId = undefined;
    }
    const choices: ReplyChoices = {};
    const listMessage: OutboundListMessage = {
      ...(header ? { header } : {}),
      ...footer,
      button: {
        ...(buttonId ? { id: buttonId } : {}),
        text: label ? this.short(event, label, LIMITS.listButton, 'list button label') : this.listButton,
      },
      sections: kept.map((section) => ({
        ...(section.title ? { title: this.short(event, section.title, LIMITS.sectionTitle, 'section title') } : {}),
        rows: section.rows.map((row) => {
          choices[row.id] = {
            kind: 'list',
            text: row.title,
            ...(row.description ? { description: row.description } : {}),
          };
          return {
            id: row.id,
            text: fit(row.title, LIMITS.rowTitle),
            ...(row.description ? { description: fit(row.description, LIMITS.rowDescription) } : {}),
          };
        }),
      })),
    };
    this.pushInteractive(event, candidate, { listMessage }, choices);
  }

  /** A list WhatsApp cannot show as one (too many rows or sections), written out whole as text instead. */
  private listAsText(
    event: AgentEvent,
    list: Json,
    sections: Array<{ title: string | undefined; rows: Option[] }>,
    rows: number,
  ): void {
    const header = this.object(event, list.header, 'header');
    const headerText = filled(this.string(event, header?.text, 'header.text'));
    const footerText = filled(this.string(event, this.object(event, list.footer, 'footer')?.text, 'footer.text'));
    const lines = [
      ...(headerText ? [headerText, ''] : []),
      ...sections.flatMap((section, i) => [
        ...(i > 0 ? [''] : []),
        ...(section.title ? [section.title] : []),
        ...section.rows.map((row) => `• ${row.title}${row.description ? ` — ${row.description}` : ''}`),
      ]),
      ...(footerText ? ['', footerText] : []),
    ];
    const media = header?.attachment !== undefined && header.attachment !== null;
    this.adjust(
      event,
      `a list of ${rows} rows in ${sections.length} section${sections.length === 1 ? '' : 's'} (WhatsApp takes ` +
        `at most ${LIMITS.rows} rows and ${LIMITS.sections} sections) was sent as text` +
        (media ? ', without its header media' : ''),
    );
    this.pushText(event, lines.join('\n'));
  }

  private buttonMessage(event: AgentEvent, message: Json, candidate: OutboundMessage | undefined): void {
    const options = this.readOptions(event, this.list(event, message.buttons, 'buttons'), 'buttons', LIMITS.buttonId);
    if (options.length === 0) return this.skip(event, 'a reply-button message without buttons');
    this.sendButtons(event, options, message, candidate);
  }

  private sendButtons(
    event: AgentEvent,
    options: Option[],
    message: Json,
    candidate: OutboundMessage | undefined,
  ): void {
    if (options.length > LIMITS.buttons) {
      this.skip(event, `only the first ${LIMITS.buttons} of ${options.length} reply buttons fit WhatsApp`);
    }
    const shown = options.slice(0, LIMITS.buttons);
    const header = this.header(event, message.header);
    const choices: ReplyChoices = {};
    for (const option of shown) choices[option.id] = { kind: 'button', text: option.title };
    const replyButtonMessage = {
      ...(header ? { header } : {}),
      ...this.footer(event, message.footer),
      buttons: this.buttons(event, shown),
    };
    this.pushInteractive(event, candidate, { replyButtonMessage }, choices);
  }

  private singleProduct(event: AgentEvent, product: Json, candidate: OutboundMessage | undefined): void {
    const item = this.object(event, product.productItem, 'productItem');
    const retailerId =
      filled(this.string(event, item?.productRetailerId, 'productItem.productRetailerId')) ??
      filled(this.string(event, product.productRetailerId, 'productRetailerId'));
    const catalogId = this.options.catalogId;
    if (catalogId && retailerId) {
      const singleProductMessage = {
        ...this.footer(event, product.footer),
        catalogId,
        productItem: { productRetailerId: retailerId },
      };
      this.pushInteractive(event, candidate, { singleProductMessage }, {}, false);
      return;
    }
    // Without a catalog, the product's actions still reach the customer as reply buttons.
    const buttons = [product.actionButton, ...this.list(event, product.buttons, 'buttons')].filter(
      (button) => button !== undefined && button !== null,
    );
    const options = this.readOptions(event, buttons, 'buttons', LIMITS.buttonId);
    if (options.length === 0) {
      return this.skip(event, 'a single-product message needs the catalogId option (or buttons) to be sent');
    }
    this.sendButtons(event, options, { footer: product.footer }, candidate);
  }

  private productLine(product: Json): string {
    const title = filled(typeof product.title === 'string' ? product.title : undefined);
    const id = filled(typeof product.productId === 'string' ? product.productId : undefined);
    const currency = typeof product.currency === 'string' && product.currency ? ` ${product.currency}` : '';
    const price =
      typeof product.price === 'number' && Number.isFinite(product.price)
        ? ` — ${product.price.toFixed(2)}${currency}`
        : '';
    const url = filled(typeof product.url === 'string' ? product.url : undefined);
    return `• ${title ?? id ?? 'Product'}${price}${url ? `\n${url}` : ''}`;
  }

  private products(event: AgentEvent, raw: unknown[], candidate: OutboundMessage | undefined): void {
    const products = raw.flatMap((product, i): Json[] => {
      const value = this.object(event, product, `products[${i}]`, true);
      return value ? [value] : [];
    });
    if (products.length === 0) {
      if (this.out.unmapped.length === this.reportedBefore) this.skip(event, 'a recommendation with no products');
      return;
    }
    const catalogId = this.options.catalogId;
    const ids = products.map((p) => (typeof p.productId === 'string' ? filled(p.productId) : undefined));
    if (catalogId) {
      const missing = ids.filter((id) => id === undefined).length;
      if (products.length <= LIMITS.products && missing === 0) {
        const multiProductMessage = {
          header: { text: 'Recommended for you' },
          catalogId,
          sections: [{ title: 'Products', productItems: ids.map((id) => ({ productRetailerId: id as string })) }],
        };
        this.pushInteractive(event, candidate, { multiProductMessage }, {});
        return;
      }
      this.adjust(
        event,
        missing > 0
          ? `${missing} of ${products.length} products have no productId for the catalog: the products were sent as text`
          : `${products.length} products are more than a catalog message takes (${LIMITS.products}): they were sent as text`,
      );
    }
    if (this.options.products === 'images') {
      for (const product of products) {
        const imageUrl = typeof product.imageUrl === 'string' ? filled(product.imageUrl) : undefined;
        if (imageUrl) this.pushMedia(event, 'image', imageUrl, this.productLine(product));
        else this.pushText(event, this.productLine(product));
      }
      return;
    }
    this.pushText(event, products.map((product) => this.productLine(product)).join('\n\n'));
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
  for (const event of Array.isArray(events) ? events : []) mapper.add(event);
  return mapper.out;
}
