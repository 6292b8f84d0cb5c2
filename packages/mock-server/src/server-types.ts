// What a mock server is made with (its options) and what it records for tests: the shapes that the
// server, its rooms and their users share.

import type { MockMessagingOptions } from './messaging/types.js';

export interface MockServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, only this x-api-key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  /** When set, only this businessId is accepted (others get 403 PERMISSION_DENIED). */
  businessId?: string;
  /** Pause between streamed lines, in ms, so streaming is visible. Default 0. */
  pacingMs?: number;
  /** Replace the demo agent: turns the input events of one turn into response events. */
  agent?: (inputEvents: unknown[], session: MockSession) => unknown[];
  /** Accept the `x-mock-fault` request header. Default true. */
  faultHeader?: boolean;
  /**
   * Keep only this many of the newest records in `requests` and `streams`, and in the messaging side's
   * `sent` and `deliveries` (unless `messaging.maxRecords` says otherwise). Default: all.
   */
  maxRecords?: number;
  /** The messaging side: webhook secret, redelivery time scale, rate limit, clock, templates. */
  messaging?: MockMessagingOptions;
}

export interface MockSession {
  sessionId: string;
  businessId: string;
  clientKey: string;
  closed: boolean;
  turns: number;
}

export interface RecordedRequest {
  endpoint: string;
  method: string;
  path: string;
  /** Request headers; the x-api-key value is replaced by '[redacted]'. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  receivedAt: number;
}

export interface StreamRecord {
  endpoint: string;
  sessionId: string | undefined;
  /** True when the client went away before the response was complete. */
  abandoned: boolean;
  /** True when the server cut the connection on purpose (an injected reset). */
  reset: boolean;
  /** Events written before the response ended or was abandoned. */
  eventsWritten: number;
}
