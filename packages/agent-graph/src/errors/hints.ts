// What an Agent Graph API error tells the caller to do, by its google.rpc code: the fix named after the
// server's own message in every ConnectlyApiError.

import { type Endpoint, RpcCode } from '../wire/api.js';

/** What to do about an API error with this google.rpc code, said after the server's message. */
export function apiErrorHint(code: number, endpoint: Endpoint): string {
  switch (code) {
    case RpcCode.UNAUTHENTICATED:
      return 'Check the API key: it is sent as the x-api-key header and must be valid for this business';
    case RpcCode.PERMISSION_DENIED:
      return 'The API key is not allowed to use this businessId: check both values';
    case RpcCode.NOT_FOUND:
      return endpoint === 'init' || endpoint === 'health'
        ? 'Check the base URL and the businessId'
        : 'The session is unknown or closed: call init() to start a new session and use the sessionId it returns';
    case RpcCode.FAILED_PRECONDITION:
      return 'The session cannot take this request (closed?): call init() to start a new session';
    case RpcCode.INVALID_ARGUMENT:
      return 'The API rejected the request as invalid: check the fields named in the message';
    case RpcCode.RESOURCE_EXHAUSTED:
      return 'Rate limited: wait and retry';
    case RpcCode.UNAVAILABLE:
      return 'The service is unavailable: retry after a short delay';
    case RpcCode.DEADLINE_EXCEEDED:
      return 'The agent took too long to answer: retry, or send a shorter turn';
    default:
      return '';
  }
}
