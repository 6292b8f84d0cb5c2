// What Connectly sends the business's webhooks once a message is accepted: the echo of a session message
// when the messages webhook asks for it, and the `sent` and `delivered` statuses unless the
// delivery_status webhook's campaign filter leaves the message out.

import type { MockWebhook, SentMessage } from './types.js';
import { isObject } from './validate.js';

/** The webhook events a send gives rise to, as [topic, payload], in the order they are delivered. */
export function followUps(
  sent: SentMessage,
  businessPhone: string,
  registration: (businessId: string, topic: string) => MockWebhook | undefined,
  echoCallbackData = true,
): Array<[string, unknown]> {
  const business = { id: businessPhone, channelType: 'whatsapp' };
  const customer = { id: sent.to, channelType: 'whatsapp' };
  const timestamp = String(Math.floor(sent.at / 1000));
  const withCallback = sent.callbackData === undefined ? {} : { callbackData: sent.callbackData };
  const events: Array<[string, unknown]> = [];
  if (registration(sent.businessId, 'messages')?.configuration.echo === true && sent.kind === 'session') {
    events.push([
      'messages',
      {
        timestamp,
        sender: business,
        recipient: customer,
        message: { ...sent.message, isEcho: true },
        ...(echoCallbackData ? withCallback : {}),
      },
    ]);
  }
  const statusHook = registration(sent.businessId, 'delivery_status');
  const wanted = statusHook === undefined || campaignMatches(statusHook.configuration.filters, sent.campaignName);
  for (const status of wanted ? ['sent', 'delivered'] : []) {
    events.push([
      'delivery_status',
      {
        topic: 'delivery_status',
        timestamp,
        sender: business,
        recipient: customer,
        statusUpdate: { id: sent.id, status, error: null },
        metadata: sent.campaignName === undefined ? null : { campaign_name: sent.campaignName },
        ...withCallback,
      },
    ]);
  }
  return events;
}

// The only documented filter: `campaign_name` with `*` wildcards; a send without a campaign never matches one.
function campaignMatches(filters: unknown, campaignName: string | undefined): boolean {
  const rules = (Array.isArray(filters) ? filters : []).filter(
    (rule): rule is { field: string; expression: string } =>
      isObject(rule) && rule.field === 'campaign_name' && typeof rule.expression === 'string',
  );
  if (rules.length === 0) return true;
  if (campaignName === undefined) return false;
  return rules.some((rule) => globMatches(rule.expression, campaignName));
}

// `*` matches any run of characters. Each literal piece is looked for once, leftmost, left to right, with
// no backtracking: a regular expression built from `*a*a*…*b` takes exponential time on a long name.
function globMatches(expression: string, name: string): boolean {
  const pieces = expression.split('*');
  const first = pieces[0] as string;
  if (pieces.length === 1) return name === expression;
  const last = pieces[pieces.length - 1] as string;
  if (first.length + last.length > name.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}
