// What the trigger outputs for each delivery: one lean item the next node can use as it is, on the output
// that says who it came from (the customer, a person in Connectly's inbox, or Connectly's status reports).
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { fingerprint, type InboundEvent, toInputEvents, type WebhookParty } from 'connectly-agent-graph';

export const OUTPUT_NAMES = ['Customer', 'Human Agent', 'Delivery Status'];
export const CUSTOMER_OUTPUT = 0;
export const HUMAN_AGENT_OUTPUT = 1;
export const STATUS_OUTPUT = 2;

function customerOf(party: WebhookParty | undefined, clientKey: string): IDataObject {
  const phone = party?.phoneNumber || (/^\+?\d/.test(party?.id ?? '') ? party?.id : undefined);
  return { id: party?.id || clientKey, name: party?.name ?? null, phone: phone || null };
}

/** Connectly's Unix-seconds string as ISO 8601; null when the delivery carries none. */
function isoTime(seconds: string | undefined): string | null {
  const value = Number(seconds);
  return seconds && Number.isFinite(value) ? new Date(value * 1000).toISOString() : null;
}

function details(event: InboundEvent): IDataObject {
  switch (event.kind) {
    case 'message':
      return {
        text: event.text ?? '',
        ...(event.attachments.length ? { attachments: event.attachments as unknown as IDataObject[] } : {}),
        ...(event.location ? { location: event.location as IDataObject } : {}),
        ...(event.referral ? { referral: event.referral as IDataObject } : {}),
        ...(event.replyToId ? { replyToId: event.replyToId } : {}),
      };
    case 'button':
      return { text: event.title, buttonId: event.id, ...(event.replyToId ? { replyToId: event.replyToId } : {}) };
    case 'echo':
      // The fingerprint lets Record Human Reply tell an echo of the workflow's own send, recorded in a
      // Shared State memory, from a person's message.
      return {
        text: typeof event.message.text === 'string' ? event.message.text : '',
        sentBy: 'human',
        fingerprint: fingerprint(event.message),
      };
    case 'status':
      return {
        text: '',
        messageId: event.messageId,
        status: event.status,
        error: (event.error as IDataObject | undefined) ?? null,
        campaignName: event.campaignName ?? null,
      };
    case 'other':
      return { text: '', topic: event.topic ?? null };
  }
}

/**
 * The item for one delivery; `withPayload` adds the delivery exactly as Connectly sent it. `deliveryId` (the
 * delivery's signature, which its redeliveries repeat) lets a Connectly node with Shared State act on the
 * delivery once, whichever n8n process took it.
 */
export function itemOf(event: InboundEvent, withPayload: boolean, deliveryId: string): INodeExecutionData {
  const known = event.kind === 'other' ? undefined : event;
  const clientKey = known?.clientKey ?? '';
  const json: IDataObject = {
    kind: event.kind,
    clientKey,
    ...details(event),
    customer: customerOf(known?.customer, clientKey),
    timestamp: isoTime(known?.timestamp ?? event.payload.timestamp),
    inputEvents: toInputEvents(event) as unknown as IDataObject[],
    deliveryId,
    ...(known?.callbackData === undefined ? {} : { callbackData: known.callbackData as IDataObject }),
    ...(withPayload ? { payload: event.payload as IDataObject } : {}),
  };
  return { json };
}

/** What the Connectly node reads back from a Trigger item it is given; each field absent when the item has none. */
export interface TriggerMarks {
  /** The delivery it came in (`deliveryId`): a Connectly node with Shared State acts on it once. */
  deliveryId?: string;
  /** An echo's `fingerprint`: Record Human Reply matches it against the sends recorded in Shared State. */
  fingerprint?: string;
  /** A customer's message or button reply (`kind`), whose `timestamp` starts the 24-hour window. */
  inbound?: { clientKey: string; at: number };
}

/** Reads the marks `itemOf` put on an item; any other item (or one a user reshaped) gives none. */
export function triggerMarks(json: IDataObject | undefined): TriggerMarks {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const deliveryId = text(json?.['deliveryId']);
  const fingerprint = text(json?.['fingerprint']);
  const clientKey = text(json?.['clientKey']);
  const timestamp = text(json?.['timestamp']);
  const at = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  const customer = json?.['kind'] === 'message' || json?.['kind'] === 'button';
  return {
    ...(deliveryId === undefined ? {} : { deliveryId }),
    ...(fingerprint === undefined ? {} : { fingerprint }),
    ...(customer && clientKey !== undefined && Number.isFinite(at) ? { inbound: { clientKey, at } } : {}),
  };
}
