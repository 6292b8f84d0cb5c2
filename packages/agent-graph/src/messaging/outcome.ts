// Whether a failed call can have been processed, read from its error by the retry rule's own test
// (http/retry.ts `provedNotProcessed`): what `turnNotProcessed()` and each message `sendReply()` reports
// rest on. Here, above both error kinds it reads: the agent API's and the Message API's.

import {
  ConnectlyApiError,
  ConnectlyConnectionError,
  ConnectlySessionStoreError,
  ConnectlyValidationError,
} from '../errors/errors.js';
import { provedNotProcessed } from '../http/retry.js';
import { ConnectlyMessagingError } from './errors.js';

/**
 * The same rule for a call's error: true when it proves the request was not processed. Refused before
 * sending (bad input), a connection that never reached the server, or a status of
 * {@link provedNotProcessed}; an error line inside a 200 stream, a time limit, a cancellation or a
 * broken answer prove nothing.
 */
export function errorProvesNotProcessed(error: unknown): boolean {
  if (error instanceof ConnectlyValidationError) return true;
  if (error instanceof ConnectlyConnectionError) return error.phase === 'connect';
  if (error instanceof ConnectlyApiError || error instanceof ConnectlyMessagingError) {
    return (
      error.status !== 200 && provedNotProcessed({ kind: 'status', status: error.status, retryAfterMs: undefined })
    );
  }
  return false;
}

/**
 * True when a turn's error proves Connectly did not process its input, by the rule the client retries
 * by: the input was refused before sending, the connection never reached Connectly, the answer was a
 * refusal that proves it (400, 401, 403, 404, 429, 503; not a 500 or a 504, after which the agent may
 * have heard it), or the session store failed before sending. Only then may the turn's events be sent again.
 */
export function turnNotProcessed(error: unknown): boolean {
  if (error instanceof ConnectlySessionStoreError) return !error.sent;
  return errorProvesNotProcessed(error);
}
