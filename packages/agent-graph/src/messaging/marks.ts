// Telling a business's automated messages from its people's: an automation marks what it sends in
// `callbackData`, which Connectly hands back with the message's echo, so the echo of an automated
// message is known as such and the echo of a message a person sent from Connectly's inbox is not.

import type { InboundEcho } from './inbound.js';

/** The `callbackData` field that marks a message as sent by an automation. */
export const SENT_BY_FIELD = 'connectlySentBy';

/** Its value for messages sent by this package (the n8n node, the NestJS service, your own code). */
export const SENT_BY_AUTOMATION = 'automation';

/**
 * `callbackData` for an automated message: the mark, with the caller's own data kept beside it (an
 * object's fields are kept; any other value goes under `data`).
 */
export function markAutomated(callbackData?: unknown): Record<string, unknown> {
  if (callbackData === undefined || callbackData === null) return { [SENT_BY_FIELD]: SENT_BY_AUTOMATION };
  if (typeof callbackData === 'object' && !Array.isArray(callbackData)) {
    return { ...(callbackData as Record<string, unknown>), [SENT_BY_FIELD]: SENT_BY_AUTOMATION };
  }
  return { data: callbackData, [SENT_BY_FIELD]: SENT_BY_AUTOMATION };
}

/** True when an echo is of a message an automation sent with {@link markAutomated}; false for a person's. */
export function isAutomatedEcho(echo: InboundEcho): boolean {
  const data = echo.callbackData;
  return (
    typeof data === 'object' && data !== null && (data as Record<string, unknown>)[SENT_BY_FIELD] === SENT_BY_AUTOMATION
  );
}
