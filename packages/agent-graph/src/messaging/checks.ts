// The documented rules a Message API request must meet, checked before anything is sent: the recipient,
// the callback data's size, and the one content kind of a message.

import { ConnectlyValidationError } from '../errors/errors.js';
import { MESSAGE_CONTENT_KINDS } from '../wire/api.js';
import type { OutboundMessage } from '../wire/message-api.js';
import { requireString } from '../decoding/validate.js';

/** The customer: an E.164 number (or BSUID) string, or the documented recipient object. */
export type Recipient = string | { id: string; channelType?: 'whatsapp'; name?: string };

export function recipientOf(to: Recipient): { id: string; channelType: 'whatsapp'; name?: string } {
  const value = typeof to === 'string' ? { id: to } : to;
  if (typeof value !== 'object' || value === null) {
    throw new ConnectlyValidationError('to', '`to` is required: the customer number in E.164 form, e.g. +15551234567');
  }
  const id = requireString(value.id, 'to', 'the customer number in E.164 form, e.g. +15551234567');
  return { ...value, id, channelType: 'whatsapp' };
}

export function checkCallbackData(value: unknown): void {
  if (value === undefined) return;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) {
    throw new ConnectlyValidationError(
      'callbackData',
      '`callbackData` must be a JSON value (no cycles, BigInt or functions)',
    );
  }
  const size = new TextEncoder().encode(json).length;
  if (size > 1024) {
    throw new ConnectlyValidationError(
      'callbackData',
      `\`callbackData\` is ${size} bytes as JSON; Connectly takes at most 1024`,
    );
  }
}

/** The documented rules a message must meet, checked before anything is sent. */
export function checkMessage(message: OutboundMessage): void {
  if (typeof message !== 'object' || message === null) {
    throw new ConnectlyValidationError('message', '`message` is required, e.g. { text: "Hello!" }');
  }
  const kinds = MESSAGE_CONTENT_KINDS.filter((kind) => message[kind] !== undefined);
  if (kinds.length > 1) {
    throw new ConnectlyValidationError(
      'message',
      `A message holds exactly one content kind, got ${kinds.join(' and ')}: send them as separate messages`,
    );
  }
  const kind = kinds[0];
  const text = message.text;
  if (kind === undefined && (typeof text !== 'string' || text.trim() === '')) {
    throw new ConnectlyValidationError(
      'message.text',
      '`message.text` is empty: WhatsApp does not send empty messages',
    );
  }
  if (kind === 'attachments' && message.attachments?.length !== 1) {
    throw new ConnectlyValidationError(
      'message.attachments',
      'A message carries exactly one attachment: send several as separate messages',
    );
  }
  if ((kind === 'attachments' || kind === 'location') && text !== undefined) {
    throw new ConnectlyValidationError(
      'message.text',
      `\`text\` cannot go with ${kind}: use the attachment caption, or send the text separately`,
    );
  }
  if ((kind === 'listMessage' || kind === 'replyButtonMessage' || kind === 'multiProductMessage') && !text) {
    throw new ConnectlyValidationError('message.text', `A ${kind} needs a body: set \`message.text\``);
  }
  const buttons = message.replyButtonMessage?.buttons;
  if (kind === 'replyButtonMessage' && (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3)) {
    throw new ConnectlyValidationError('message.replyButtonMessage.buttons', 'WhatsApp takes 1 to 3 reply buttons');
  }
}
