// The Message API's request rules, as the mock enforces them: the documented checks plus WhatsApp's
// interactive limits, each failing with the documented error code (strict mode: before anything is sent).

import { MESSAGE_CONTENT_KINDS } from 'connectly-agent-graph/wire';
import { invalid } from './errors.js';

type Json = Record<string, unknown>;

const ATTACHMENT_TYPES = new Set(['image', 'video', 'audio', 'document']);
const E164 = /^\+[1-9]\d{6,14}$/;
/** A business-scoped user id: a country code, a dot, letters and digits (connectly-messaging.md §4.5). */
export const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]+$/;

export interface SessionSend {
  recipient: { id: string; channelType: string; name?: string };
  sender?: unknown;
  message: Json;
  callbackData?: unknown;
  campaignName?: string;
}

export interface TemplateSend {
  number: string;
  templateName: string;
  language: string;
  parameters: Array<{ name: string; value: string }>;
  callbackData?: unknown;
  campaignName?: string;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** grpc-gateway accepts snake_case keys too (`list_message`): normalise to camelCase, recursively. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = camelKeys(inner);
  }
  return out;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}

function limit(value: unknown, max: number, what: string): void {
  if (typeof value === 'string' && [...value].length > max) {
    throw invalid(`${what} is longer than ${max} characters`);
  }
}

export function checkCallbackData(body: Json): void {
  if (body.callbackData === undefined) return;
  const size = Buffer.byteLength(JSON.stringify(body.callbackData) ?? '', 'utf8');
  if (size > 1024) throw invalid(`callbackData is ${size} bytes once serialised; at most 1024 are allowed`);
}

function checkRecipientId(id: unknown, bsuid: boolean): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw invalid('recipient.id is required: the customer phone number in E.164 form, e.g. +15551234567');
  }
  if (E164.test(id) || (bsuid && BSUID.test(id))) return id;
  throw invalid(`recipient.id "${id}" is not an E.164 phone number`, 'ERROR_CODE_PHONE_NUMBER_BAD_FORMAT');
}

function checkHeader(header: unknown, where: string): void {
  if (!isObject(header)) return;
  limit(header.text, 60, `${where}.header.text`);
  const attachment = header.attachment;
  if (isObject(attachment)) {
    if (!ATTACHMENT_TYPES.has(String(attachment.type))) {
      throw invalid(`${where}.header.attachment.type must be image, video, audio or document`);
    }
    if ('asset' in attachment) {
      throw invalid(`${where}.header.attachment must be flat ({type, url, caption, filename}), not {asset}`);
    }
    checkUrl(attachment.url, `${where}.header.attachment.url`);
  }
}

function checkUrl(url: unknown, where: string): void {
  if (typeof url !== 'string' || url.length === 0) {
    throw invalid(`${where} is empty`, 'ERROR_CODE_MESSAGE_ATTACHMENT_EMPTY');
  }
  try {
    new URL(url);
  } catch {
    throw invalid(`${where} "${url}" is not a URL`, 'ERROR_CODE_MESSAGE_ATTACHMENT_INVALID');
  }
}

function checkInteractive(kind: string, value: unknown, message: Json): void {
  const where = `message.${kind}`;
  if (!isObject(value)) throw invalid(`${where} must be an object`);
  if (kind !== 'singleProductMessage' && (typeof message.text !== 'string' || message.text.length === 0)) {
    throw invalid(`${where} needs a body: set message.text`, 'ERROR_CODE_MESSAGE_TEXT_EMPTY');
  }
  limit(message.text, 1024, 'message.text (the body of an interactive message)');
  checkHeader(value.header, where);
  if (isObject(value.footer)) limit(value.footer.text, 60, `${where}.footer.text`);
  if (kind === 'replyButtonMessage') {
    const buttons = value.buttons;
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) {
      throw invalid(`${where}.buttons must hold 1 to 3 buttons`);
    }
    const titles = new Set<string>();
    buttons.forEach((button: unknown, index) => {
      const b = isObject(button) ? button : {};
      if (typeof b.text !== 'string' || b.text.length === 0) throw invalid(`${where}.buttons[${index}].text is empty`);
      limit(b.text, 20, `${where}.buttons[${index}].text`);
      limit(b.id, 256, `${where}.buttons[${index}].id`);
      if (titles.has(b.text)) throw invalid(`${where}.buttons[${index}].text "${b.text}" is not unique`);
      titles.add(b.text);
    });
  } else if (kind === 'listMessage') {
    const button = isObject(value.button) ? value.button : {};
    if (typeof button.text !== 'string' || button.text.length === 0) throw invalid(`${where}.button.text is empty`);
    limit(button.text, 20, `${where}.button.text`);
    const sections = value.sections;
    if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) {
      throw invalid(`${where}.sections must hold 1 to 10 sections`);
    }
    let rows = 0;
    sections.forEach((section: unknown, s) => {
      const sectionRows = isObject(section) && Array.isArray(section.rows) ? section.rows : [];
      if (sectionRows.length === 0) throw invalid(`${where}.sections[${s}].rows is empty`);
      if (isObject(section)) limit(section.title, 24, `${where}.sections[${s}].title`);
      sectionRows.forEach((row: unknown, r) => {
        const item = isObject(row) ? row : {};
        if (typeof item.text !== 'string' || item.text.length === 0) {
          throw invalid(`${where}.sections[${s}].rows[${r}].text is empty`);
        }
        limit(item.text, 24, `${where}.sections[${s}].rows[${r}].text`);
        limit(item.description, 72, `${where}.sections[${s}].rows[${r}].description`);
      });
      rows += sectionRows.length;
    });
    if (rows > 10) throw invalid(`${where} has ${rows} rows; at most 10 are allowed in all sections together`);
  } else if (kind === 'singleProductMessage') {
    if (typeof value.catalogId !== 'string' || !isObject(value.productItem)) {
      throw invalid(`${where} needs catalogId and productItem.productRetailerId`);
    }
  } else if (kind === 'multiProductMessage') {
    if (!isObject(value.header) || typeof value.header.text !== 'string') {
      throw invalid(`${where}.header.text is required`);
    }
  }
}

/** Checks a session send; returns it with camelCase keys. */
export function checkSessionSend(raw: unknown, bsuid: boolean): SessionSend {
  const body = camelKeys(raw);
  if (!isObject(body)) throw invalid('the request body must be a JSON object with recipient and message');
  checkCallbackData(body);
  const recipient = body.recipient;
  if (!isObject(recipient)) throw invalid('recipient is required: { id: "+15551234567", channelType: "whatsapp" }');
  const id = checkRecipientId(recipient.id ?? recipient.userId, bsuid);
  if (recipient.channelType !== 'whatsapp') {
    throw invalid(
      `recipient.channelType must be "whatsapp", got ${JSON.stringify(recipient.channelType)}`,
      'ERROR_CODE_BUSINESS_MISSES_MATCHING_CHANNEL',
    );
  }
  const message = body.message;
  if (!isObject(message)) throw invalid('message is required', 'ERROR_CODE_MESSAGE_TEXT_EMPTY');
  const kinds = MESSAGE_CONTENT_KINDS.filter((kind) => present(message[kind]));
  if (kinds.length > 1) throw invalid(`message holds ${kinds.join(' and ')}: exactly one content type is allowed`);
  const kind = kinds[0];
  if (kind === undefined) {
    if (typeof message.text !== 'string' || message.text.trim().length === 0) {
      throw invalid('message.text is empty', 'ERROR_CODE_MESSAGE_TEXT_EMPTY');
    }
    limit(message.text, 4096, 'message.text');
  } else if (kind === 'attachments') {
    if (present(message.text)) throw invalid('message holds text and attachments: put the text in the caption');
    const attachments = message.attachments as unknown[];
    if (!Array.isArray(attachments) || attachments.length !== 1) {
      throw invalid(
        'message.attachments must hold exactly one attachment',
        'ERROR_CODE_MESSAGE_ATTACHMENTS_NUMBER_INVALID',
      );
    }
    const attachment = isObject(attachments[0]) ? attachments[0] : {};
    if (!ATTACHMENT_TYPES.has(String(attachment.type))) {
      throw invalid('message.attachments[0].type must be image, video, audio or document');
    }
    checkUrl(attachment.url, 'message.attachments[0].url');
    limit(attachment.caption, 1024, 'message.attachments[0].caption');
  } else if (kind === 'location') {
    if (present(message.text)) throw invalid('message holds text and location: exactly one content type is allowed');
    const location = isObject(message.location) ? message.location : {};
    if (typeof location.latitude !== 'number' || typeof location.longitude !== 'number') {
      throw invalid('message.location needs numeric latitude and longitude');
    }
  } else {
    checkInteractive(kind, message[kind], message);
  }
  return {
    recipient: { ...(recipient as SessionSend['recipient']), id },
    sender: body.sender,
    message,
    callbackData: body.callbackData,
    campaignName: typeof body.campaignName === 'string' ? body.campaignName : undefined,
  };
}

const PARAMETER_NAME = /^(header_text|header_image|header_video|header_document|body_\d+|button_\d+_url)$/;

/** Checks a template send; the number is normalised to E.164 (`bsuid:` targets are kept as given). */
export function checkTemplateSend(raw: unknown, bsuid: boolean): TemplateSend {
  const body = camelKeys(raw);
  if (!isObject(body)) throw invalid('the request body must be a JSON object with number and templateName');
  checkCallbackData(body);
  if (typeof body.number !== 'string' || body.number.length === 0) {
    throw invalid('number is required: the customer phone number', 'ERROR_CODE_PHONE_NUMBER_BAD_FORMAT');
  }
  let number = body.number;
  if (number.startsWith('bsuid:')) {
    if (!bsuid || !BSUID.test(number.slice(6))) {
      throw invalid(`number "${number}" is not a usable BSUID target`, 'ERROR_CODE_PHONE_NUMBER_BAD_FORMAT');
    }
  } else {
    if (!/^[+\d\s()-]+$/.test(number)) {
      throw invalid(`number "${number}" is not a phone number`, 'ERROR_CODE_PHONE_NUMBER_BAD_FORMAT');
    }
    number = `+${number.replace(/\D/g, '')}`;
    if (!E164.test(number)) {
      throw invalid(`number "${body.number}" is not a phone number`, 'ERROR_CODE_PHONE_NUMBER_BAD_FORMAT');
    }
  }
  if (typeof body.templateName !== 'string' || body.templateName.length === 0) {
    throw invalid('templateName is required: the exact name of an approved template');
  }
  const language = body.language === undefined ? 'en' : body.language;
  if (typeof language !== 'string' || language.length === 0) throw invalid('language must be a code such as en_US');
  const parameters = body.parameters ?? [];
  if (!Array.isArray(parameters)) throw invalid('parameters must be a list of {name, value}');
  const checked = parameters.map((parameter: unknown, index) => {
    const p = isObject(parameter) ? parameter : {};
    if (typeof p.name !== 'string' || !PARAMETER_NAME.test(p.name) || typeof p.value !== 'string') {
      throw invalid(
        `parameters[${index}] must be {name, value} with a name such as body_1, header_text or button_1_url`,
        'ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID',
      );
    }
    return { name: p.name, value: p.value };
  });
  return {
    number,
    templateName: body.templateName,
    language,
    parameters: checked,
    callbackData: body.callbackData,
    campaignName: typeof body.campaignName === 'string' ? body.campaignName : undefined,
  };
}

/** Checks a webhook address: HTTPS, or plain HTTP on a loopback host so local receivers work. */
export function checkAddress(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid('address is required: the HTTPS URL that receives the events');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`address "${value}" is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw invalid(`address must be an https:// URL, got "${value}"`);
  }
  return value;
}

export { isObject };
