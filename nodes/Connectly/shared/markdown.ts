// Agent events as the Markdown n8n's chat renders: what a streaming workflow shows as each event arrives.
// Nothing here relies on the renderer to be safe: every text from the server is escaped, except the links
// to web addresses in the agent's own text; an image is shown only where the event says it is an image.
import {
  type AgentEvent,
  type Interactive,
  type Product,
  eventPayload,
  isEventType,
  isHandoverTriggered,
  messageText,
} from 'connectly-agent-graph';

/** What a streaming workflow passes on: every event the chat can show, or the agent's text alone. */
export type StreamContent = 'all' | 'text';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

const objects = (value: unknown): Fields[] => (Array.isArray(value) ? value.filter(isObject) : []);

// Inline Markdown and HTML: links, images, emphasis, code, strikethrough, table cells, tags.
const escapeInline = (text: string): string => text.replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`);

// What a line may not start with: a heading (`#`, or `===`/`---` under the line before), a quote, a list
// item (`-`, `+`, `*`, `1.`, `1)`), a rule or a table row. The marker is escaped, the text kept.
const escapeLineStart = (line: string): string =>
  line.replace(/^(\s*)([#>+=-])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2');

// Text from the server, on one line, must not open links, images, emphasis or structure of its own inside ours.
const plain = (text: string): string => escapeLineStart(escapeInline(text.replace(/\s+/g, ' ')));

// Only web addresses become links or images: a javascript: or data: address stays out of the chat.
const webUrl = (value: unknown): string | undefined => {
  const url = str(value);
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  return url.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
};

// A link the agent wrote, to a web address; an image (`![…](…)`) is not one and stays text.
const AGENT_LINK = /(!?)\[([^[\]\n]*)\]\(\s*(https?:\/\/[^\s()<>]+)\s*\)/gi;

/** The agent's own text: its links to web addresses kept, every other Markdown and HTML shown as written. */
function agentText(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let out = '';
      let from = 0;
      for (const match of line.matchAll(AGENT_LINK)) {
        const [whole, bang, label, url] = match;
        if (bang || !label?.trim() || !url) continue;
        out += escapeInline(line.slice(from, match.index)) + `[${escapeInline(label)}](${webUrl(url) as string})`;
        from = match.index + whole.length;
      }
      return escapeLineStart(out + escapeInline(line.slice(from)));
    })
    .join('\n');
}

/** An image the agent sent as an image (a message whose content is one), at a web address. */
function agentImage(event: AgentEvent): string | undefined {
  if (!isEventType(event, 'messageEvent')) return undefined;
  const message: unknown = event.messageEvent;
  const content = isObject(message) && message['role'] !== 'USER' ? message['content'] : undefined;
  const image = isObject(content) && isObject(content['imageContent']) ? content['imageContent'] : undefined;
  const url = webUrl(image?.['url']);
  return url ? `![Image](${url})` : undefined;
}

function price(product: Product): string | undefined {
  if (typeof product.price !== 'number' || !Number.isFinite(product.price)) return undefined;
  const currency = str(product.currency);
  if (currency) {
    try {
      return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(product.price);
    } catch {
      return `${product.price} ${plain(currency)}`;
    }
  }
  return String(product.price);
}

function productMarkdown(product: Product): string | undefined {
  const title = str(product.title);
  const url = webUrl(product.url);
  const image = webUrl(product.imageUrl);
  const label = title ? plain(title) : url ? 'View product' : undefined;
  if (!label && !image) return undefined;
  const lines: string[] = [];
  if (label) {
    const name = url ? `**[${label}](${url})**` : `**${label}**`;
    const cost = price(product);
    lines.push(cost ? `${name} — ${cost}` : name);
  }
  const description = str(product.description);
  if (description) lines.push(plain(description));
  if (image) lines.push(`![${label ?? 'Product'}](${image})`);
  return lines.join('  \n');
}

const list = (items: Array<string | undefined>): string =>
  items
    .filter((item): item is string => item !== undefined)
    .map((item) => `- ${item}`)
    .join('\n');

function rowMarkdown(row: Fields): string | undefined {
  const text = str(row['text']) ?? str(row['title']);
  if (!text) return undefined;
  const description = str(row['description']);
  return description ? `**${plain(text)}** — ${plain(description)}` : `**${plain(text)}**`;
}

// Lists and buttons cannot be tapped in a chat window, so they read as the choices a customer can type.
function interactiveMarkdown(interactive: Interactive): string | undefined {
  const parts: string[] = [];
  for (const message of Object.values(interactive).filter(isObject)) {
    const header = isObject(message['header']) ? str(message['header']['text']) : undefined;
    if (header) parts.push(`**${plain(header)}**`);
    const body = isObject(message['body']) ? str(message['body']['text']) : undefined;
    if (body) parts.push(plain(body));
    for (const section of objects(message['sections'])) {
      const title = str(section['title']);
      const rows = list(objects(section['rows']).map(rowMarkdown));
      if (title) parts.push(`_${plain(title)}_`);
      if (rows) parts.push(rows);
    }
    const buttons = list(objects(message['buttons']).map(rowMarkdown));
    if (buttons) parts.push(buttons);
    const footer = isObject(message['footer']) ? str(message['footer']['text']) : undefined;
    if (footer) parts.push(`_${plain(footer)}_`);
  }
  return parts.length ? parts.join('\n\n') : undefined;
}

/** The Markdown for one event, or nothing when it has nothing a chat can show (or only text is wanted). */
export function eventMarkdown(event: AgentEvent, content: StreamContent): string | undefined {
  const text = messageText(event);
  if (text !== undefined) return text ? agentText(text) : undefined;
  if (content === 'text') return undefined;
  const image = agentImage(event);
  if (image) return image;
  const payload: unknown = eventPayload(event);
  if (isEventType(event, 'recommendationEvent')) {
    const products = objects(isObject(payload) ? payload['products'] : undefined).map(productMarkdown);
    const shown = products.filter((product): product is string => product !== undefined);
    return shown.length ? shown.join('\n\n') : undefined;
  }
  if (isEventType(event, 'chatSuggestionEvent')) {
    const questions =
      isObject(payload) && Array.isArray(payload['suggestedQuestions']) ? payload['suggestedQuestions'] : [];
    const shown = list(questions.map((question) => (str(question) ? plain(str(question) as string) : undefined)));
    return shown ? `You can also ask:\n${shown}` : undefined;
  }
  if (isEventType(event, 'connectlyInteractiveEvent')) {
    const interactive = isObject(payload) ? payload['interactive'] : undefined;
    return isObject(interactive) ? interactiveMarkdown(interactive as Interactive) : undefined;
  }
  if (isHandoverTriggered(event)) return '_A member of our team will take over this conversation._';
  return undefined;
}
